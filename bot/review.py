"""Review: send a draft for approval, edit it, approve one revision's text, or ask for changes.

Every front door calls `Reviews` (`service.assistant.reviews`) with an `Origin`; the states, who may
do what and the audit trail are decided here, once. Lookups go through the tenant, like every draft
read: another team's draft raises DraftNotFound. Then, in this order:

- the role: approve and request changes need `origin.can("reviewer")`; an edit needs the draft's
  author or a reviewer. Else NotAllowed (HTTP 403), with plain words saying who can;
- the state (bot.review_types.ALLOWED_FROM): else ReviewConflict (HTTP 409), naming the state and
  what it allows;
- the input (variant, revision, text, note): else InvalidOption (HTTP 422).

A transition reads the review, decides, and asks the store to write it only if nothing moved in
between (bot.store.reviews); if another replica's write landed first, it reads again and decides
again, so approving twice from two replicas gives one approval and one ReviewConflict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.errors import InvalidOption, NotAllowed, ReviewConflict
from bot.records import Origin, StoredDraft
from bot.review_types import (
    ALLOWED_FROM,
    MAX_NOTE_CHARS,
    REVIEW_ACTIONS,
    ReviewAction,
    ReviewChange,
    ReviewEvent,
    ReviewRecord,
    ReviewState,
    ReviewStatus,
    Revision,
)
from bot.store import Store
from bot.tenancy import Tenancy

log = logging.getLogger(__name__)

__all__ = ["ReviewEvent", "ReviewState", "ReviewStatus", "Reviews", "Revision"]

MAX_ATTEMPTS = 8  # reads-and-writes lost to concurrent writers before giving up with a conflict

VERBS: dict[ReviewAction, str] = {
    "review": "send it for review",
    "edit": "edit it",
    "approve": "approve it",
    "changes": "request changes",
}
STATE_WORDS: dict[ReviewState, str] = {
    "draft": "not sent for review yet",
    "in_review": "already in review",
    "approved": "already approved",
    "changes_requested": "waiting for changes",
}
NOT_A_REVIEWER = (
    "only reviewers can {what}; ask a reviewer on your team to do it, or an admin to make you a reviewer."
)


def allowed_actions(state: ReviewState) -> tuple[ReviewAction, ...]:
    return tuple(a for a in REVIEW_ACTIONS if state in ALLOWED_FROM[a])


def conflict(action: ReviewAction, state: ReviewState) -> ReviewConflict:
    allowed = allowed_actions(state)
    now = ", ".join(VERBS[a] for a in allowed) if allowed else "nothing: an approved draft is final"
    return ReviewConflict(
        f"This draft is {STATE_WORDS[state]} (state: {state}), so you cannot {VERBS[action]}. "
        f"Allowed now: {now}.",
        state=state,
        allowed=allowed,
    )


def status_of(draft: StoredDraft, record: ReviewRecord) -> ReviewStatus:
    """The draft and its review; revision 0 of each variant is the model's text, credited to the
    person who asked for the draft (its author)."""
    originals = tuple(
        Revision(i, 0, post.text, draft.origin.user_id, draft.origin.user_name, draft.created_at)
        for i, post in enumerate(draft.variants)
    )
    revisions = tuple(sorted(originals + record.edits, key=lambda r: (r.variant, r.number)))
    approved = None
    if record.approved_variant is not None and record.approved_revision is not None:
        approved = next(
            (
                r
                for r in revisions
                if r.variant == record.approved_variant and r.number == record.approved_revision
            ),
            None,
        )
    return ReviewStatus(draft, record.state, revisions, approved, record.history)


Plan = Callable[[ReviewStatus], ReviewChange | None]


class Reviews:
    """Built whole by the Assistant over its store and tenancy."""

    def __init__(self, store: Store, tenancy: Tenancy) -> None:
        self.store = store
        self.tenancy = tenancy

    async def status(self, origin: Origin, draft_id: str) -> ReviewStatus:
        draft = await self._draft(origin, draft_id)
        return status_of(draft, await self.store.reviews.get(draft_id))

    async def submit(
        self, origin: Origin, draft_id: str, variant: int, note: str | None = None
    ) -> ReviewStatus:
        """draft | changes_requested -> in_review; anyone in the draft's team may send it."""
        draft = await self._draft(origin, draft_id)
        draft.check_variant(variant)
        clean = _note(note, required=False)

        def plan(status: ReviewStatus) -> ReviewChange:
            return _change("review", "in_review", origin, variant, status.latest(variant).number, note=clean)

        return await self._move(draft, "review", plan)

    async def edit(self, origin: Origin, draft_id: str, variant: int, text: str) -> ReviewStatus:
        """A new revision of `variant` by `origin` (the draft's author or a reviewer); the state stays.
        Text the same as the latest revision writes nothing."""
        draft = await self._draft(origin, draft_id)
        author = origin.front_door == draft.origin.front_door and origin.user_id == draft.origin.user_id
        if not (author or origin.can("reviewer")):
            raise NotAllowed(
                "only the draft's author or a reviewer can edit it; ask a reviewer, or suggest your change "
                "to the author.",
                role="reviewer",
            )
        draft.check_variant(variant)
        clean = _text(text, draft)

        def plan(status: ReviewStatus) -> ReviewChange | None:
            latest = status.latest(variant)
            if latest.text == clean:
                return None
            return _change("edit", status.state, origin, variant, latest.number + 1, text=clean)

        return await self._move(draft, "edit", plan)

    async def approve(
        self, origin: Origin, draft_id: str, variant: int | None = None, revision: int | None = None
    ) -> ReviewStatus:
        """in_review -> approved, approving one revision's text: `revision` of `variant`, or the
        variant's latest; `variant` defaults to the one under review. Reviewers only."""
        draft = await self._draft(origin, draft_id)
        if not origin.can("reviewer"):
            raise NotAllowed(NOT_A_REVIEWER.format(what="approve drafts"), role="reviewer")
        if variant is not None:
            draft.check_variant(variant)
        if revision is not None and not _whole(revision):
            raise InvalidOption(
                f"revision must be a whole number, 0 or more (got {revision}).",
                field="revision",
                value=str(revision),
            )

        def plan(status: ReviewStatus) -> ReviewChange:
            chosen = variant if variant is not None else status.review_variant
            target = status.latest(chosen) if revision is None else status.revision(chosen, revision)
            if target is None:
                numbers = [str(r.number) for r in status.revisions if r.variant == chosen]
                raise InvalidOption(
                    f"variant {chosen} has no revision {revision}; its revisions are {', '.join(numbers)}.",
                    field="revision",
                    allowed=numbers,
                    value=str(revision),
                )
            return _change(
                "approve", "approved", origin, chosen, target.number, approved=(chosen, target.number)
            )

        return await self._move(draft, "approve", plan)

    async def request_changes(self, origin: Origin, draft_id: str, note: str) -> ReviewStatus:
        """in_review -> changes_requested, with a note saying what to change. Reviewers only."""
        draft = await self._draft(origin, draft_id)
        if not origin.can("reviewer"):
            raise NotAllowed(NOT_A_REVIEWER.format(what="request changes"), role="reviewer")
        clean = _note(note, required=True)

        def plan(status: ReviewStatus) -> ReviewChange:
            under = status.review_variant
            return _change(
                "changes", "changes_requested", origin, under, status.latest(under).number, note=clean
            )

        return await self._move(draft, "changes", plan)

    # internals ----------------------------------------------------------------------------------

    async def _draft(self, origin: Origin, draft_id: str) -> StoredDraft:
        return await self.store.drafts.get(draft_id, self.tenancy.of(origin))

    async def _move(self, draft: StoredDraft, action: ReviewAction, plan: Plan) -> ReviewStatus:
        for _ in range(MAX_ATTEMPTS):
            record = await self.store.reviews.get(draft.id)
            status = status_of(draft, record)
            if status.state not in ALLOWED_FROM[action]:
                raise conflict(action, status.state)
            change = plan(status)
            if change is None:
                return status
            if await self.store.reviews.apply(draft.id, record.version, change):
                log.info("draft %s: %s by %s:%s", draft.id, action, change.front_door, change.actor_id)
                return status_of(draft, await self.store.reviews.get(draft.id))
            log.debug("draft %s: %s lost a race; reading again", draft.id, action)
        raise ReviewConflict(
            "Someone else is changing this draft's review right now; try again in a moment.",
            state=status.state,
            allowed=allowed_actions(status.state),
        )


def _change(
    action: ReviewAction,
    state: ReviewState,
    origin: Origin,
    variant: int | None,
    revision: int | None,
    *,
    note: str | None = None,
    text: str | None = None,
    approved: tuple[int, int] | None = None,
) -> ReviewChange:
    return ReviewChange(
        action=action,
        state=state,
        actor_id=origin.user_id,
        actor_name=origin.user_name,
        front_door=origin.front_door,
        variant=variant,
        revision=revision,
        note=note,
        text=text,
        approved=approved,
    )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _note(note: str | None, *, required: bool) -> str | None:
    clean = (note or "").strip()
    if required and not clean:
        raise InvalidOption("a note is required: say what should change.", field="note")
    if len(clean) > MAX_NOTE_CHARS:
        raise InvalidOption(
            f"the note is {len(clean)} characters; at most {MAX_NOTE_CHARS} are allowed.", field="note"
        )
    return clean or None


def _text(text: str, draft: StoredDraft) -> str:
    """An edit is checked like a post: some text, within the draft's platform limit."""
    clean = (text or "").strip() if isinstance(text, str) else ""
    if not clean:
        raise InvalidOption("the edited text is empty: write the post's new text.", field="text")
    if len(clean) > draft.platform_limit:
        raise InvalidOption(
            f"the edited text is {len(clean)} characters; {draft.brief.platform} allows at most "
            f"{draft.platform_limit}.",
            field="text",
        )
    return clean
