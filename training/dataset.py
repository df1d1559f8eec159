"""The training-data schema (one JSON object per line) and its validating loader.

Why a schema of brief fields rather than raw prompts: the training prompt is rebuilt from the same
`Brief` with `bot.prompts.build_messages`, so what the model learns is exactly what it is served.

Line formats (JSONL):
- SFT record: {"prompt", "platform", "tone", "industry"?, "audience"?, "max_length"?, "text"}
- preference pair (approved vs rejected drafts of one brief): the brief fields plus
  {"chosen", "rejected"} instead of "text"; SFT training learns from "chosen".
Optional on both: "source" (provenance, e.g. "feedback:draft-42").
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.brief import Brief
from bot.catalog import Catalog
from bot.postprocess import HASHTAG
from bot.prompts import Message, PromptFormat, build_messages
from engine.errors import InvalidRequest
from training.errors import DatasetError

REPO = Path(__file__).resolve().parent.parent


class Record(BaseModel):
    """One line of a dataset file; `text` (SFT) or `chosen`+`rejected` (preference pair)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1)
    platform: str = Field(min_length=1)
    tone: str = Field(min_length=1)
    industry: str | None = None
    audience: str | None = None
    max_length: int | None = Field(None, ge=1, le=1024)
    text: str | None = None
    chosen: str | None = None
    rejected: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Record:
        if self.text is not None:
            if self.chosen is not None or self.rejected is not None:
                raise ValueError("give either 'text' or 'chosen'+'rejected', not both")
            if not self.text.strip():
                raise ValueError("'text' is empty")
        elif self.chosen is None or self.rejected is None:
            raise ValueError("missing 'text' (or 'chosen' and 'rejected' for a preference pair)")
        elif not self.chosen.strip() or not self.rejected.strip():
            raise ValueError("'chosen' and 'rejected' must be non-empty")
        return self

    @property
    def is_preference(self) -> bool:
        return self.text is None

    @property
    def target(self) -> str:
        """The post the model should learn to write."""
        return self.text if self.text is not None else str(self.chosen)

    def brief(self) -> Brief:
        return Brief(
            prompt=self.prompt,
            platform=self.platform,
            tone=self.tone,
            industry=self.industry,
            audience=self.audience,
            max_length=self.max_length or 150,
        )

    def messages(self, catalog: Catalog, fmt: PromptFormat = "full") -> list[Message]:
        """Exactly the messages the engine sends for this brief (system + user) in format `fmt`."""
        return build_messages(self.brief(), catalog, fmt)


@dataclass(frozen=True)
class Loaded:
    record: Record
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def hashtag_count(text: str) -> int:
    return len(HASHTAG.findall(text))


def compliance_problems(record: Record, catalog: Catalog) -> list[str]:
    """Platform hard limit and hashtag norm, checked on the target post."""
    platform = catalog.platforms[record.platform]
    text = record.target
    problems = []
    if len(text) > platform.char_limit:
        problems.append(f"text is {len(text)} characters; {record.platform} allows {platform.char_limit}")
    tags, norm = hashtag_count(text), platform.hashtags
    if not norm.min <= tags <= norm.max:
        problems.append(f"{tags} hashtags; {record.platform} norm is {norm.min}..{norm.max}")
    return problems


def _canonical(raw: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    out = dict(raw)
    for key, lookup in (
        ("platform", catalog.platform),
        ("tone", catalog.tone),
        ("industry", catalog.industry),
    ):
        value = out.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = lookup(value)
    return out


def parse_line(line: str, catalog: Catalog) -> Record:
    """One JSON line -> Record, or ValueError with a field-level message (no location)."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    try:
        raw = _canonical(raw, catalog)
    except InvalidRequest as exc:
        raise ValueError(f"{exc.field}: {exc}") from exc
    try:
        return Record.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "record"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field; allowed: {', '.join(Record.model_fields)}"
        raise ValueError(f"{key}: {msg}") from exc


def load_file(path: Path, catalog: Catalog, *, strict_limits: bool = True) -> list[Loaded]:
    """Validate every line of one JSONL file; all problems are reported together with line numbers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    records: list[Loaded] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = parse_line(line, catalog)
        except ValueError as exc:
            problems.append(f"{path}:{number}: {exc}")
            continue
        platform = catalog.platforms[record.platform]
        if strict_limits and len(record.target) > platform.char_limit:
            problems.append(f"{path}:{number}: {compliance_problems(record, catalog)[0]}")
            continue
        records.append(Loaded(record, path, number))
    if problems:
        raise DatasetError(f"{path}: {len(problems)} invalid line(s)", problems)
    return records


def expand(patterns: Iterable[str], base: Path = REPO) -> list[Path]:
    """Glob patterns (relative to the repo) -> sorted files; a pattern matching nothing is an error."""
    files: list[Path] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        found = sorted(Path(p) for p in glob.glob(full))
        if not found:
            raise DatasetError(f"no dataset files match '{pattern}'")
        files.extend(found)
    return list(dict.fromkeys(files))


def load_files(files: Iterable[Path], catalog: Catalog, *, strict_limits: bool = True) -> list[Loaded]:
    out: list[Loaded] = []
    problems: list[str] = []
    for path in files:
        try:
            out.extend(load_file(path, catalog, strict_limits=strict_limits))
        except DatasetError as exc:
            problems.extend(exc.problems or [str(exc)])
    if problems:
        raise DatasetError(f"{len(problems)} dataset problem(s)", problems)
    return out


def dataset_hash(files: Iterable[Path]) -> str:
    """sha256 over (file name, bytes) of every file, sorted by name: names the exact data an adapter
    saw, and stays the same when a file moves between folders."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: (p.name, str(p))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def to_prompt_completion(
    record: Record, catalog: Catalog, fmt: PromptFormat = "full"
) -> dict[str, list[Message]]:
    """TRL's conversational prompt-completion shape: loss falls on the completion (the post) only."""
    return {
        "prompt": record.messages(catalog, fmt),
        "completion": [{"role": "assistant", "content": record.target}],
    }
