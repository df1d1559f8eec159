"""Rated drafts -> training records: approved drafts become SFT records; an approved and a rejected
draft of the same brief become a preference pair, and so do the chosen ("use this") and a passed-over
variant of one draft (the A/B signal).

Why here and not in the store: the store keeps every rating and click in the shape the chat front
doors need; this module fixes the contract training accepts (`training.dataset.Record`), so the two
can evolve apart. `postpulse feedback export` (below) joins them. Pairs are kept for a
preference-optimisation step; SFT already learns from `chosen`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot.records import DraftFeedback
from training.dataset import Record
from training.errors import TrainingError

ExportFormat = Literal["sft", "dpo"]

BRIEF_KEYS = ("prompt", "platform", "tone", "industry", "audience", "max_length")


@dataclass(frozen=True)
class RatedDraft:
    """A draft the bot produced, its brief fields and the user's verdict."""

    brief: Mapping[str, Any]
    text: str
    approved: bool
    draft_id: str | None = None


def _brief_key(brief: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(brief.get(k) for k in BRIEF_KEYS)


def _fields(brief: Mapping[str, Any]) -> dict[str, Any]:
    return {k: brief[k] for k in BRIEF_KEYS if brief.get(k) is not None}


def records_from_ratings(
    drafts: Iterable[RatedDraft], *, max_pairs_per_brief: int = 4
) -> tuple[list[Record], list[Record]]:
    """(SFT records from approved drafts, preference pairs approved-vs-rejected per brief)."""
    groups: dict[tuple[Any, ...], list[RatedDraft]] = {}
    for draft in drafts:
        if draft.text.strip():
            groups.setdefault(_brief_key(draft.brief), []).append(draft)
    sft: list[Record] = []
    pairs: list[Record] = []
    for group in groups.values():
        fields = _fields(group[0].brief)
        good = [d for d in group if d.approved]
        bad = [d for d in group if not d.approved]
        for d in good:
            sft.append(Record(**fields, text=d.text, source=f"feedback:{d.draft_id or 'approved'}"))
        for g, b in itertools.islice(itertools.product(good, bad), max_pairs_per_brief):
            pairs.append(
                Record(**fields, chosen=g.text, rejected=b.text, source=f"feedback:{g.draft_id}>{b.draft_id}")
            )
    return sft, pairs


def _variant_id(draft_id: str, index: int) -> str:
    return f"{draft_id}#{index}"


def rated_drafts(feedback: Iterable[DraftFeedback]) -> list[RatedDraft]:
    """Each variant with a verdict (each user's latest rating; more ups than downs = approved,
    more downs = rejected; a tie or no rating says nothing) as one RatedDraft."""
    out: list[RatedDraft] = []
    for draft in feedback:
        brief = draft.brief.model_dump()
        for variant in draft.variants:
            if variant.approved or variant.rejected:
                out.append(
                    RatedDraft(
                        brief, variant.text, variant.approved, _variant_id(draft.draft_id, variant.index)
                    )
                )
    return out


def choice_pairs(feedback: Iterable[DraftFeedback]) -> list[Record]:
    """Chosen vs each passed-over variant of the same draft (one brief), unless the passed-over one
    was itself rated up (then the pick says nothing against it)."""
    pairs: list[Record] = []
    for draft in feedback:
        if draft.chosen_variant is None:
            continue
        chosen = next((v for v in draft.variants if v.index == draft.chosen_variant), None)
        if chosen is None or not chosen.text.strip():
            continue
        fields = _fields(draft.brief.model_dump())
        for other in draft.variants:
            if other.index == chosen.index or other.approved or not other.text.strip():
                continue
            if other.text.strip() == chosen.text.strip():
                continue
            winner = _variant_id(draft.draft_id, chosen.index)
            source = f"feedback:{winner}>{_variant_id(draft.draft_id, other.index)}"
            pairs.append(Record(**fields, chosen=chosen.text, rejected=other.text, source=source))
    return pairs


def export_records(feedback: list[DraftFeedback], fmt: ExportFormat) -> list[Record]:
    """`sft`: approved variants as SFT records; `dpo`: approved-vs-rejected and chosen-vs-passed-over
    preference pairs (both in the schema training.dataset loads)."""
    sft, pairs = records_from_ratings(rated_drafts(feedback))
    if fmt == "sft":
        return sft
    return pairs + choice_pairs(feedback)


BRAND_EXAMPLE = "brand_example"  # the `source` prefix of a brand kit example's SFT record
EXAMPLE_BRIEF_CHARS = 160


def brand_example_records(examples: Iterable[tuple[str, str, str]]) -> list[Record]:
    """The brand kits' example posts ((brand, text, how it came) from the store) as SFT records,
    marked `source: brand_example:<brand>` so training can weigh or filter them.

    An example has no brief, so its first sentence stands in for one (what the post is about),
    and the platform is the shortest one whose limit the post fits (X, else LinkedIn): the
    training loader holds every record to its platform's limit."""
    records: list[Record] = []
    for brand, text, _source in examples:
        post = text.strip()
        if not post:
            continue
        first = re.split(r"(?<=[.!?])\s|\n", post, maxsplit=1)[0].strip()
        brief = first if len(first) <= EXAMPLE_BRIEF_CHARS else first[:EXAMPLE_BRIEF_CHARS].rsplit(" ", 1)[0]
        platform = "x" if len(post) <= 280 else "linkedin"
        records.append(
            Record(
                prompt=brief or post[:EXAMPLE_BRIEF_CHARS],
                platform=platform,
                tone="professional",
                text=post,
                source=f"{BRAND_EXAMPLE}:{brand}",
            )
        )
    return records


def parse_since(value: str) -> datetime:
    """`2026-11-01` or a full ISO timestamp; a date or naive time is UTC."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--since wants a date like 2026-11-01 (got '{value}')") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def write_records(records: Iterable[Record], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
            count += 1
    return count


async def export(url: str, fmt: ExportFormat, out: Path, since: datetime | None = None) -> int:
    """Read the store at `url` and write `fmt` records to `out`; returns how many."""
    from bot.store import open_store

    store = await open_store(url)
    try:
        feedback = await store.feedback.export(since)
        examples = await store.brand_kits.all_examples() if fmt == "sft" else []
    finally:
        await store.close()
    return write_records(export_records(feedback, fmt) + brand_example_records(examples), out)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.config import load_config
    from bot.store import database_url

    config = load_config(args.config)
    url = database_url(config.store.url, config.store.path)
    try:
        count = asyncio.run(export(url, args.format, Path(args.out), args.since))
    except OSError as exc:
        raise TrainingError(f"cannot write {args.out}: {exc.strerror}") from exc
    kind = "SFT records" if args.format == "sft" else "preference pairs"
    print(f"wrote {count} {kind} to {args.out}; add it to data.extra in configs/training.yaml to train on it")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """`postpulse feedback export --format sft|dpo [--since DATE] --out FILE`."""
    feedback = subparsers.add_parser("feedback", help="turn ratings and picks into training data")
    sub = feedback.add_subparsers(dest="feedback_command", required=True)
    exp = sub.add_parser("export", help="write rated drafts as SFT records or preference pairs (JSONL)")
    exp.add_argument("--format", choices=["sft", "dpo"], required=True, help="sft: approved; dpo: pairs")
    exp.add_argument("--since", type=parse_since, help="only ratings and picks from this date (UTC) on")
    exp.add_argument("--out", required=True, help="output JSONL file")
    exp.add_argument("--config", help="YAML config with the store (default: configs/default.yaml)")
    exp.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    try:
        return cmd_export(args)
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
