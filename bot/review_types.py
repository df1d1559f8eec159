"""The review workflow's value types (bot.review is the use case): shared by the store, the use case
and every front door, so the store need not import the use case.

    draft ──review──▶ in_review ──approve──▶ approved
      ▲                 │   ▲
      │               changes│ review
      │                 ▼   │
      └──────────── changes_requested

Revisions are per variant: number 0 is the model's text (the draft's variant, never stored twice),
1.. are edits, each with its author. Every transition (and every edit) is a ReviewEvent: the audit
trail, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.brief import Brief
from bot.records import StoredDraft

ReviewState = Literal["draft", "in_review", "approved", "changes_requested"]
ReviewAction = Literal["review", "edit", "approve", "changes"]
REVIEW_STATES: tuple[ReviewState, ...] = ("draft", "in_review", "approved", "changes_requested")
REVIEW_ACTIONS: tuple[ReviewAction, ...] = ("review", "edit", "approve", "changes")
MAX_NOTE_CHARS = 2000  # a review note or a request for changes

# Which states each action may start from (the use case and the store's guard read the same table).
ALLOWED_FROM: dict[ReviewAction, tuple[ReviewState, ...]] = {
    "review": ("draft", "changes_requested"),
    "edit": ("draft", "in_review", "changes_requested"),
    "approve": ("in_review",),
    "changes": ("in_review",),
}
# The state an action leaves the draft in; an edit leaves it where it was.
RESULT: dict[ReviewAction, ReviewState | None] = {
    "review": "in_review",
    "edit": None,
    "approve": "approved",
    "changes": "changes_requested",
}


@dataclass(frozen=True)
class Revision:
    """One variant's text at one point: number 0 is what the model wrote, 1.. are edits."""

    variant: int
    number: int
    text: str
    author_id: str
    author_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class ReviewEvent:
    """One entry of the audit trail: who did what, when, to which revision."""

    action: ReviewAction
    actor_id: str
    actor_name: str | None
    at: datetime
    variant: int | None
    revision: int | None
    note: str | None
    front_door: str


@dataclass(frozen=True)
class ReviewRecord:
    """What the store holds for one draft's review (the draft itself comes from store.drafts).
    `version` counts transitions: every write is conditional on the version it read."""

    state: ReviewState
    version: int
    approved_variant: int | None
    approved_revision: int | None
    edits: tuple[Revision, ...]  # stored revisions (number >= 1), by variant then number
    history: tuple[ReviewEvent, ...]  # oldest first


@dataclass(frozen=True)
class ReviewStatus:
    """A draft with its review: state, every revision (the model's text included), what was approved
    and the audit trail."""

    draft: StoredDraft
    state: ReviewState
    revisions: tuple[Revision, ...]  # by variant, then number; number 0 of every variant first
    approved: Revision | None
    history: tuple[ReviewEvent, ...]

    def latest(self, variant: int) -> Revision:
        """The newest revision of `variant` (its model text when nobody edited it)."""
        mine = [r for r in self.revisions if r.variant == variant]
        if not mine:
            raise IndexError(f"this draft has no variant {variant}")
        return max(mine, key=lambda r: r.number)

    def shown(self, variant: int) -> Revision:
        """What a review message shows: the approved revision once there is one, else the latest."""
        return self.approved if self.approved is not None else self.latest(variant)

    def last_event(self, *actions: str) -> ReviewEvent | None:
        """The newest audit event of one of `actions` (who approved, who asked for changes)."""
        return next((event for event in reversed(self.history) if event.action in actions), None)

    def revision(self, variant: int, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.variant == variant and r.number == number), None)

    @property
    def approved_text(self) -> str | None:
        return self.approved.text if self.approved is not None else None

    @property
    def review_variant(self) -> int:
        """The variant under review: the one last sent for review or edited, else the chosen one, else 0."""
        for event in reversed(self.history):
            if event.action in ("review", "edit") and event.variant is not None:
                return event.variant
        return self.draft.chosen_variant if self.draft.chosen_variant is not None else 0


@dataclass(frozen=True)
class ReviewChange:
    """One write the use case asks the store for: a transition or an edit, by `actor`.
    `text` is an edit's new text (stored as revision `revision`); `approved` is (variant, revision)."""

    action: ReviewAction
    state: ReviewState  # the state after
    actor_id: str
    actor_name: str | None
    front_door: str
    variant: int | None = None
    revision: int | None = None
    note: str | None = None
    text: str | None = None
    approved: tuple[int, int] | None = None


@dataclass(frozen=True)
class ReviewFeedback:
    """One draft's review as training signal (bot.store.feedback -> training.feedback): every
    revision (number 0 included), the approved one, and the revisions changes were requested on."""

    draft_id: str
    brief: Brief
    revisions: tuple[Revision, ...]  # by variant, then number
    approved: Revision | None
    changes_on: tuple[Revision, ...]  # oldest request first
