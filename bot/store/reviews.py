"""Review states, revisions and the audit trail of each draft (the use case is bot.review).

One short transaction per transition, guarded: the write is an UPDATE of the draft's `reviews` row
conditional on the version the caller read (or, for a draft whose review has not started, the
INSERT of that row, which the primary key lets happen once). Two replicas racing on one draft: one
write lands, the other changes nothing and reports it lost, and its caller reads again and sees the
new state. The revision and the audit event are written in the same transaction, so a transition is
all there or not at all, and committed before `apply` returns. Callers check the draft's tenant
first (bot.review reads the draft through DraftRepository.get).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.review_types import ReviewChange, ReviewEvent, ReviewRecord, Revision
from bot.store.database import utc
from bot.store.models import ReviewEventRow, ReviewRow, RevisionRow

NOT_STARTED = 0  # the version of a draft with no `reviews` row (state `draft`)


class _Lost(Exception):
    """The row moved since the caller read it: roll back, write nothing."""


class ReviewRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, draft_id: str) -> ReviewRecord:
        async with self._sessions() as session:
            row = await session.get(ReviewRow, draft_id)
            edits = await session.scalars(
                select(RevisionRow)
                .where(RevisionRow.draft_id == draft_id)
                .order_by(RevisionRow.variant, RevisionRow.number)
            )
            events = await session.scalars(
                select(ReviewEventRow).where(ReviewEventRow.draft_id == draft_id).order_by(ReviewEventRow.id)
            )
            return _record(row, edits.all(), events.all())

    async def apply(self, draft_id: str, seen_version: int, change: ReviewChange) -> bool:
        """Write `change` if the draft's review is still at `seen_version`; False if another write
        got there first (nothing written). Committed when it returns True."""
        now = datetime.now(UTC)
        approved_variant, approved_revision = change.approved or (None, None)
        try:
            async with self._sessions.begin() as session:
                if seen_version == NOT_STARTED:
                    session.add(
                        ReviewRow(
                            draft_id=draft_id,
                            state=change.state,
                            version=1,
                            approved_variant=approved_variant,
                            approved_revision=approved_revision,
                            updated_at=now,
                        )
                    )
                    await session.flush()  # a second INSERT (another replica) fails here
                else:
                    moved = await session.execute(
                        update(ReviewRow)
                        .where(ReviewRow.draft_id == draft_id, ReviewRow.version == seen_version)
                        .values(
                            state=change.state,
                            version=seen_version + 1,
                            approved_variant=approved_variant,
                            approved_revision=approved_revision,
                            updated_at=now,
                        )
                    )
                    if moved.rowcount != 1:  # type: ignore[attr-defined]
                        raise _Lost
                if change.text is not None:
                    session.add(_revision_row(draft_id, change, now))
                session.add(_event_row(draft_id, change, now))
        except (_Lost, IntegrityError):
            return False
        return True


def _revision_row(draft_id: str, change: ReviewChange, now: datetime) -> RevisionRow:
    if change.text is None or change.variant is None or change.revision is None:
        raise ValueError("an edit needs its text, variant and revision number")
    return RevisionRow(
        draft_id=draft_id,
        variant=change.variant,
        number=change.revision,
        text=change.text,
        author_id=change.actor_id,
        author_name=change.actor_name,
        front_door=change.front_door,
        created_at=now,
    )


def _event_row(draft_id: str, change: ReviewChange, now: datetime) -> ReviewEventRow:
    return ReviewEventRow(
        draft_id=draft_id,
        action=change.action,
        state=change.state,
        actor_id=change.actor_id,
        actor_name=change.actor_name,
        front_door=change.front_door,
        variant=change.variant,
        revision=change.revision,
        note=change.note,
        at=now,
    )


def _record(
    row: ReviewRow | None, edits: Sequence[RevisionRow], events: Sequence[ReviewEventRow]
) -> ReviewRecord:
    return ReviewRecord(
        state=row.state if row is not None else "draft",  # type: ignore[arg-type]
        version=row.version if row is not None else NOT_STARTED,
        approved_variant=row.approved_variant if row is not None else None,
        approved_revision=row.approved_revision if row is not None else None,
        edits=tuple(
            Revision(e.variant, e.number, e.text, e.author_id, e.author_name, utc(e.created_at))
            for e in edits
        ),
        history=tuple(
            ReviewEvent(
                action=e.action,  # type: ignore[arg-type]
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                at=utc(e.at),
                variant=e.variant,
                revision=e.revision,
                note=e.note,
                front_door=e.front_door,
            )
            for e in events
        ),
    )
