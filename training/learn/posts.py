"""`postpulse brand import`: a brand's past posts (CSV or JSONL) -> its approved example posts.

Columns (CSV header) or keys (JSONL): `text` (required), `brief`, `platform`, `tone`, `date`, and
engagement numbers (`likes`, `shares`, `comments`, `clicks`, or any other column holding a number).
Read like `postpulse data import` (training.importer.read_rows): every bad line is reported with its
number and skipped, the good ones are kept. What a line knows beyond the text goes into the example's
`details`, so the learning loop can rebuild the brief the post answered.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.config import KIT_EXAMPLE_MAX, KIT_EXAMPLES_MAX
from bot.store import Store
from bot.store.brand_kits import example_hash
from engine.errors import InvalidRequest
from training.errors import ImportMappingError, LearnError
from training.importer import read_rows

TEXT_FIELDS = ("text", "brief", "platform", "tone", "date")
ENGAGEMENT = ("likes", "shares", "comments", "clicks")
BRIEF_MAX = 500


@dataclass(frozen=True)
class BrandPost:
    text: str
    details: dict[str, Any]  # brief, platform, tone, date (ISO), engagement {name: number}


@dataclass
class PostsFile:
    posts: list[BrandPost] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 7: text is empty"


def _number(value: Any) -> float | int | None:
    """A count as a spreadsheet writes it ("1,204", "12", 3.5); None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _date(value: str) -> str:
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"date: '{value}' is not a date like 2026-11-01 or 2026-11-01T09:30") from None


def parse_row(row: dict[str, Any], catalog: Catalog) -> BrandPost:
    """One line -> BrandPost, or ValueError saying what is wrong and what is allowed."""
    if "__error__" in row:
        raise ValueError(row["__error__"])
    raw = row.get("text")
    if raw is None:
        raise ValueError("no text (the post itself is required)")
    if not isinstance(raw, str):
        raise ValueError(f"text must be a string, got {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise ValueError("text is empty")
    if len(text) > KIT_EXAMPLE_MAX:
        raise ValueError(f"text is {len(text)} characters; a brand example holds at most {KIT_EXAMPLE_MAX}")
    details: dict[str, Any] = {}
    for key in ("brief", "platform", "tone", "date"):
        value = row.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string, got {type(value).__name__}")
        value = " ".join(value.split())
        try:
            if key == "platform":
                value = catalog.platform(value)
            elif key == "tone":
                value = catalog.tone(value)
        except InvalidRequest as exc:
            raise ValueError(f"{key}: {exc}") from exc
        if key == "date":
            value = _date(value)
        if key == "brief" and len(value) > BRIEF_MAX:
            raise ValueError(f"brief is {len(value)} characters; at most {BRIEF_MAX}")
        details[key] = value
    platform = details.get("platform")
    if platform is not None and len(text) > catalog.platforms[platform].char_limit:
        limit = catalog.platforms[platform].char_limit
        raise ValueError(f"text is {len(text)} characters; {platform} allows {limit}")
    engagement: dict[str, float | int] = {}
    for key, value in row.items():
        if key in TEXT_FIELDS or value is None or (isinstance(value, str) and not value.strip()):
            continue
        number = _number(value)
        if number is None:
            what = "an engagement count" if key in ENGAGEMENT else "unknown column"
            raise ValueError(
                f"{key}: {what} must be a number (got {str(value)[:40]!r}); columns: "
                f"{', '.join(TEXT_FIELDS)}, and numbers such as {', '.join(ENGAGEMENT)}"
            )
        if number < 0:
            raise ValueError(f"{key}: a count cannot be negative (got {number})")
        engagement[str(key)] = number
    if engagement:
        details["engagement"] = engagement
    return BrandPost(text, details)


def read_posts(path: Path, catalog: Catalog) -> PostsFile:
    """Every line of the file, validated; bad lines are skipped and reported by number."""
    if path.suffix.lower() == ".csv":
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                header = [c.strip() for c in next(csv.reader(handle), [])]
        except OSError as exc:
            raise ImportMappingError(f"{path}: cannot read: {exc.strerror}") from exc
        if "text" not in header:
            raise ImportMappingError(
                f"{path}: no 'text' column; the header names: {', '.join(header) or '(nothing)'}"
            )
    out = PostsFile()
    for number, row in read_rows(path):
        try:
            out.posts.append(parse_row(row, catalog))
        except ValueError as exc:
            out.problems.append(f"line {number}: {exc}")
    return out


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    already: int  # lines whose post the brand already had (also repeats within the file)


async def import_posts(store: Store, brand: str, posts: list[BrandPost], user_id: str) -> ImportOutcome:
    """Store the posts as the brand's approved examples (source `import`); a text the brand already
    has (however it was spaced or cased) adds nothing, so importing a file twice adds nothing."""
    stored = {example_hash(t) for t in await store.brand_kits.examples(brand)}
    fresh = {example_hash(p.text) for p in posts} - stored
    if len(stored) + len(fresh) > KIT_EXAMPLES_MAX:
        raise LearnError(
            f"brand '{brand}' holds {len(stored)} example posts and this file adds {len(fresh)}; "
            f"a brand keeps at most {KIT_EXAMPLES_MAX}"
        )
    added = await store.brand_kits.add_examples(
        brand, [p.text for p in posts], "import", user_id, details=[p.details for p in posts]
    )
    return ImportOutcome(added, len(posts) - added)
