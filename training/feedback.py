"""Rated drafts -> training records: approved drafts become SFT records; an approved and a rejected
draft of the same brief become a preference pair, and so do the chosen ("use this") and a passed-over
variant of one draft (the A/B signal).

Reviews (bot.review) say more than a thumb: an approved text is an SFT record; every edit is
preferred to the text it replaced (a pair: what the team changed is what the model should have
written); a revision a reviewer requested changes on is the rejected side of a pair whose chosen
side is the approved text (else the revision that answered the request). Brand-kit example posts
join the SFT records through `export_records(examples=...)`, with their own `source`.

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
from bot.review_types import ReviewFeedback, Revision
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


def _revision_id(draft_id: str, revision: Revision) -> str:
    return f"{draft_id}#{revision.variant}r{revision.number}"


def review_records(reviews: Iterable[ReviewFeedback]) -> tuple[list[Record], list[Record]]:
    """(SFT records from approved texts, preference pairs from edits and requests for changes).
    A pair whose two sides read the same, or that another signal already gave, is left out."""
    sft: list[Record] = []
    pairs: dict[tuple[str, str], Record] = {}

    def pair(fields: dict[str, Any], chosen: Revision, rejected: Revision, kind: str, draft_id: str) -> None:
        key = (chosen.text.strip(), rejected.text.strip())
        if key[0] and key[1] and key[0] != key[1] and key not in pairs:
            source = f"{kind}:{_revision_id(draft_id, chosen)}>{_revision_id(draft_id, rejected)}"
            pairs[key] = Record(**fields, chosen=chosen.text, rejected=rejected.text, source=source)

    for review in reviews:
        fields = _fields(review.brief.model_dump())
        approved = review.approved
        if approved is not None and approved.text.strip():
            sft.append(
                Record(
                    **fields, text=approved.text, source=f"review:{_revision_id(review.draft_id, approved)}"
                )
            )
        by_number = {(r.variant, r.number): r for r in review.revisions}
        for revision in review.revisions:  # each edit over the text it replaced
            replaced = by_number.get((revision.variant, revision.number - 1))
            if revision.number > 0 and replaced is not None:
                pair(fields, revision, replaced, "review-edit", review.draft_id)
        for asked in review.changes_on:  # what a reviewer sent back, against what came of it
            latest = max((r for r in review.revisions if r.variant == asked.variant), key=lambda r: r.number)
            better = approved if approved is not None else latest if latest.number > asked.number else None
            if better is not None:
                pair(fields, better, asked, "review-changes", review.draft_id)
    return sft, list(pairs.values())


def export_records(
    feedback: list[DraftFeedback],
    fmt: ExportFormat,
    reviews: Iterable[ReviewFeedback] = (),
    examples: Iterable[Record] = (),
) -> list[Record]:
    """`sft`: approved variants and approved review texts as SFT records, plus `examples` (the brand
    kits' example posts as SFT records, each with a `source` that says so); `dpo`: approved-vs-rejected,
    chosen-vs-passed-over, edit and changes-requested preference pairs (all in the schema
    training.dataset loads)."""
    sft, pairs = records_from_ratings(rated_drafts(feedback))
    reviewed_sft, reviewed_pairs = review_records(reviews)
    if fmt == "sft":
        return sft + reviewed_sft + list(examples)
    seen = {(p.chosen, p.rejected) for p in pairs}
    return pairs + choice_pairs(feedback) + [p for p in reviewed_pairs if (p.chosen, p.rejected) not in seen]


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
        reviews = await store.feedback.reviews(since)
        examples = await store.brand_kits.all_examples() if fmt == "sft" else []
    finally:
        await store.close()
    records = export_records(feedback, fmt, reviews, examples=brand_example_records(examples))
    return write_records(records, out)


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
    feedback = subparsers.add_parser("feedback", help="turn ratings, picks and reviews into training data")
    sub = feedback.add_subparsers(dest="feedback_command", required=True)
    exp = sub.add_parser("export", help="write rated drafts as SFT records or preference pairs (JSONL)")
    exp.add_argument("--format", choices=["sft", "dpo"], required=True, help="sft: approved; dpo: pairs")
    exp.add_argument(
        "--since", type=parse_since, help="only ratings, picks and review events from this date (UTC) on"
    )
    exp.add_argument("--out", required=True, help="output JSONL file")
    exp.add_argument("--config", help="YAML config with the store (default: configs/default.yaml)")
    exp.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    try:
        return cmd_export(args)
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
