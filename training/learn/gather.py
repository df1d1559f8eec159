"""What a brand's team has said since its last trained version: the training data of the next one.

Only the brand's own data: its example posts (imported or added in chat) and the feedback on drafts
its adapter wrote (the store records the brand as a draft's `adapter`; bot.brands). Feedback is
turned into records by training.feedback, the same rules `postpulse feedback export` uses:
- approved texts (review approvals, edited or not; variants rated up) -> SFT records;
- edit pairs (the edited text over the model's), rating pairs (up over down of the same draft) and
  pick pairs (the picked variant over the others) -> DPO pairs.

A deterministic share of the brand's approved posts (by a hash of the text) is never trained on: the
gate measures every version on it, so the held-out set stays held out from one run to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store import Store
from bot.store.brand_kits import ExamplePost, example_hash
from bot.store.database import utc
from training.dataset import Record
from training.feedback import (
    brand_example_records,
    choice_pairs,
    rated_drafts,
    records_from_ratings,
    review_records,
)

BRIEF_FIELDS = ("platform", "tone")


def held_out(text: str, share: float) -> bool:
    """Whether this post belongs to the held-out share; the same answer on every run and replica."""
    return int(example_hash(text)[:8], 16) / 0xFFFFFFFF < share


def example_record(brand: str, post: ExamplePost) -> Record:
    """An example post as an SFT record: its brief, platform and tone when the import gave them,
    else a brief derived from the post (training.feedback.brand_example_records)."""
    base = brand_example_records([(brand, post.text, post.source)])[0]
    known: dict[str, Any] = {k: post.details[k] for k in BRIEF_FIELDS if post.details.get(k)}
    if post.details.get("brief"):
        known["prompt"] = post.details["brief"]
    return Record.model_validate({**base.model_dump(exclude_none=True), **known})


@dataclass
class Gathered:
    sft: list[Record] = field(default_factory=list)  # new approved texts, held-out ones left out
    pairs: list[Record] = field(default_factory=list)  # new preference pairs
    heldout: list[Record] = field(default_factory=list)  # the brand's held-out approved posts (all time)
    posts: list[str] = field(default_factory=list)  # every approved post of the brand: its style
    counts: dict[str, int] = field(default_factory=dict)
    until: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def new(self) -> int:
        return len(self.sft) + len(self.pairs)


def _unique(records: Iterable[Record]) -> list[Record]:
    seen: dict[tuple[str | None, str | None, str | None], Record] = {}
    for r in records:
        seen.setdefault((r.text, r.chosen, r.rejected), r)
    return list(seen.values())


async def gather(store: Store, brand: str, since: datetime | None, holdout_share: float) -> Gathered:
    """The brand's new data after `since` (a previous run's `data_until`), up to now."""
    until = datetime.now(UTC)
    since = utc(since) if since is not None else None  # SQLite hands back naive UTC times
    after = since + timedelta(microseconds=1) if since is not None else None
    examples = [p for p in await store.brand_kits.example_posts(brand) if p.added_at <= until]
    feedback = await store.feedback.export(after, brand=brand)
    reviews = await store.feedback.reviews(after, brand=brand)

    example_records = [example_record(brand, p) for p in examples]
    rated_sft, rating_pairs = records_from_ratings(rated_drafts(feedback))
    reviewed_sft, review_pairs = review_records(reviews)
    picks = choice_pairs(feedback)
    approved = _unique(rated_sft + reviewed_sft)

    out = Gathered(until=until)
    out.posts = [r.target for r in _unique(example_records + approved)]
    out.heldout = [r for r in _unique(example_records + approved) if held_out(r.target, holdout_share)]
    new_examples = [
        r for r, p in zip(example_records, examples, strict=True) if since is None or p.added_at > since
    ]
    out.sft = [r for r in _unique(new_examples + approved) if not held_out(r.target, holdout_share)]
    out.pairs = _unique(rating_pairs + picks + review_pairs)
    out.counts = {
        "examples": len(new_examples),
        "approved": len(approved),
        "rating_pairs": len(rating_pairs),
        "pick_pairs": len(picks),
        "edit_pairs": sum(1 for p in review_pairs if (p.source or "").startswith("review-edit")),
        "changes_pairs": sum(1 for p in review_pairs if (p.source or "").startswith("review-changes")),
        "held_out": len(out.heldout),
    }
    return out
