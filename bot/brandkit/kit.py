"""The effective brand kit: a value every draft of the brand is written and checked against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import BrandKitConfig, EmojiPolicy

DEFAULT_BRAND = "default"  # origins no `brands:` entry claims (bot.brands.BrandRouter)
# Stored with the settings when an admin replaced the example list (PUT with `examples`): the
# config's starting examples no longer apply.
EXAMPLES_REPLACED = "examples_replaced"


@dataclass(frozen=True)
class BrandKit:
    brand: str = DEFAULT_BRAND
    voice: str | None = None
    examples: tuple[str, ...] = ()
    banned: tuple[str, ...] = ()
    disclaimer: str | None = None
    required_hashtags: tuple[str, ...] = ()
    preferred_hashtags: tuple[str, ...] = ()
    emoji: EmojiPolicy | None = None

    @classmethod
    def build(cls, brand: str, config: BrandKitConfig, examples: Sequence[str] = ()) -> BrandKit:
        return cls(
            brand=brand,
            voice=config.voice,
            examples=tuple(examples),
            banned=tuple(config.banned),
            disclaimer=config.required.disclaimer,
            required_hashtags=tuple(config.required.hashtags),
            preferred_hashtags=tuple(config.preferred_hashtags),
            emoji=config.emoji,
        )

    @property
    def empty(self) -> bool:
        return self == BrandKit(self.brand)

    def sampling_bans(self) -> tuple[str, ...]:
        """What the engine blocks while sampling (SamplingParams.banned_phrases): each phrase as
        written, lower-case and capitalised (a sentence's first word). Token bans are exact, so
        other spellings ("CHEAP", "cheaper" as one token) are left to the check after
        (bot.brandkit.rules), which every candidate passes through."""
        out: dict[str, None] = {}
        for phrase in self.banned:
            for form in (phrase, phrase.lower(), phrase[:1].upper() + phrase[1:].lower()):
                out[form] = None
        return tuple(out)

    def settings(self) -> dict[str, Any]:
        """The kit in BrandKitConfig's shape (the HTTP body and chat `brand show`)."""
        return {
            "voice": self.voice,
            "examples": list(self.examples),
            "banned": list(self.banned),
            "required": {"disclaimer": self.disclaimer, "hashtags": list(self.required_hashtags)},
            "preferred_hashtags": list(self.preferred_hashtags),
            "emoji": self.emoji,
        }


def merged(start: BrandKitConfig, stored: Mapping[str, Any]) -> BrandKitConfig:
    """The config's starting kit with the stored fields over it (a stored field wins; `required`
    merges key by key, so setting a disclaimer keeps the required hashtags)."""
    data = start.model_dump(exclude={"examples"})
    for key, value in stored.items():
        if key == EXAMPLES_REPLACED or key == "examples":
            continue
        if key == "required" and isinstance(value, Mapping):
            data["required"] = {**data["required"], **value}
        else:
            data[key] = value
    return BrandKitConfig.model_validate(data)
