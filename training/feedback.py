"""Rated drafts -> training records: approved drafts become SFT records; an approved and a rejected
draft of the same brief become a preference pair.

Why here and not in the store: the chat adapters will store ratings in whatever shape suits them;
this module fixes the contract training accepts (`training.dataset.Record`), so the two can evolve
apart. Pairs are kept for a future preference-optimisation step; SFT already learns from `chosen`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from training.dataset import Record

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
