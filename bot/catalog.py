"""Tones, platforms and industries from the YAML catalogues.

Adding an entry is a YAML edit. Lookups accept aliases and any case, and an unknown name raises
`InvalidOption` with the valid names and the closest match.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.config import AppConfig, config_errors
from bot.errors import InvalidOption
from engine.config import read_yaml, validate


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aliases: list[str] = []


class Tone(_Entry):
    description: str = Field(min_length=1)
    rules: list[str] = Field(min_length=1)
    examples: list[str] = []


class HashtagNorm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: int = Field(0, ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> HashtagNorm:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Platform(_Entry):
    display_name: str
    char_limit: int = Field(gt=0)
    hashtags: HashtagNorm
    emoji: Literal["none", "sparing", "moderate", "encouraged"] = "moderate"
    typical_words: tuple[int, int] = (30, 120)
    format_notes: str = ""


class Industry(_Entry):
    audience: str
    terminology: list[str] = []


class _TonesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tones: dict[str, Tone] = Field(min_length=1)


class _PlatformsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platforms: dict[str, Platform] = Field(min_length=1)


class _IndustriesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industries: dict[str, Industry] = Field(min_length=1)


E = TypeVar("E", bound=_Entry)


def _normalise(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def resolve_name(kind: str, name: str, entries: dict[str, E]) -> str:
    """Canonical key for `name` (a key or alias, any case), or InvalidRequest with a suggestion."""
    wanted = _normalise(name)
    index: dict[str, str] = {}
    for key, entry in entries.items():
        index[_normalise(key)] = key
        for alias in entry.aliases:
            index[_normalise(alias)] = key
    if wanted in index:
        return index[wanted]
    valid = sorted(entries)
    close = difflib.get_close_matches(wanted, list(index), n=1, cutoff=0.6)
    suggestion = index[close[0]] if close else None
    hint = f" Did you mean '{suggestion}'?" if suggestion else ""
    raise InvalidOption(
        f"Unknown {kind} '{name}'.{hint} Valid {kind}s: {', '.join(valid)}.",
        field=kind,
        allowed=valid,
        suggestion=suggestion,
    )


@dataclass(frozen=True)
class Catalog:
    tones: dict[str, Tone]
    platforms: dict[str, Platform]
    industries: dict[str, Industry]

    def tone(self, name: str) -> str:
        return resolve_name("tone", name, self.tones)

    def platform(self, name: str) -> str:
        return resolve_name("platform", name, self.platforms)

    def industry(self, name: str) -> str:
        return resolve_name("industry", name, self.industries)

    @classmethod
    def load(cls, tones: Path, platforms: Path, industries: Path) -> Catalog:
        with config_errors():
            return cls(
                tones=validate(_TonesFile, read_yaml(tones), tones).tones,
                platforms=validate(_PlatformsFile, read_yaml(platforms), platforms).platforms,
                industries=validate(_IndustriesFile, read_yaml(industries), industries).industries,
            )

    @classmethod
    def from_config(cls, config: AppConfig) -> Catalog:
        base = config.config_dir
        files = config.catalogs
        return cls.load(base / files.tones, base / files.platforms, base / files.industries)
