"""Ratings and "use this" picks, and their export for training (training/feedback.py); also the
review trail's export (edits, requests for changes, approvals: bot.store.reviews writes them).

Insert-only: nothing is updated in place, so a crash can lose at most an unacknowledged row and the
export sees every verdict ever given. Callers check the draft's tenant first (bot.assistant reads
the draft through DraftRepository.get); the export is the operator's, across tenants.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.brief import Brief
from bot.records import DraftFeedback, Origin, RatingValue, VariantFeedback
from bot.review_types import ReviewFeedback, Revision
from bot.store.database import utc
from bot.store.models import (
    ChoiceRow,
    DraftRow,
    RatingRow,
    ReviewEventRow,
    ReviewRow,
    RevisionRow,
    VariantRow,
)

SIGNAL_ACTIONS = ("edit", "changes", "approve")  # review events that say something about a text
DEFAULT_BRAND = "default"  # bot.brandkit.DEFAULT_BRAND: drafts the default engine wrote (adapter unset)


def _drafts(ids: list[str], brand: str | None) -> Select[DraftRow]:
    """The drafts among `ids`; with `brand`, only those its adapter wrote (DraftService records the
    brand's name as `adapter`; the default engine's drafts have none)."""
    query = select(DraftRow).where(DraftRow.id.in_(ids))
    if brand is None:
        return query
    if brand == DEFAULT_BRAND:
        return query.where(or_(DraftRow.adapter.is_(None), DraftRow.adapter == brand))
    return query.where(DraftRow.adapter == brand)


class FeedbackRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_rating(self, draft_id: str, variant: int, rating: RatingValue, origin: Origin) -> int:
        """Insert one rating row and commit; returns its id (the acknowledgement)."""
        row = RatingRow(
            draft_id=draft_id,
            variant=variant,
            rating=rating,
            front_door=origin.front_door,
            user_id=origin.user_id,
            created_at=datetime.now(UTC),
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return row.id

    async def add_choice(self, draft_id: str, variant: int, origin: Origin) -> None:
        async with self._sessions.begin() as session:
            session.add(
                ChoiceRow(
                    draft_id=draft_id,
                    variant=variant,
                    front_door=origin.front_door,
                    user_id=origin.user_id,
                    created_at=datetime.now(UTC),
                )
            )

    async def export(self, since: datetime | None = None, *, brand: str | None = None) -> list[DraftFeedback]:
        """Drafts with at least one rating or choice (given at or after `since`), with each variant's
        verdict: every user's latest rating counted once. One pass over each result set. `brand`:
        only the drafts that brand's adapter wrote (the learning loop trains a brand on its own)."""
        rq = select(RatingRow.draft_id, RatingRow.variant, RatingRow.user_id, RatingRow.rating).order_by(
            RatingRow.id
        )
        cq = select(ChoiceRow.draft_id, ChoiceRow.variant).order_by(ChoiceRow.id)
        if since is not None:
            rq = rq.where(RatingRow.created_at >= since)
            cq = cq.where(ChoiceRow.created_at >= since)
        async with self._sessions() as session:
            ratings = (await session.execute(rq)).all()
            chosen = {c.draft_id: c.variant for c in (await session.execute(cq)).all()}  # the latest wins
            ids = sorted({r.draft_id for r in ratings} | set(chosen))
            if not ids:
                return []
            drafts = (await session.scalars(_drafts(ids, brand))).all()
            ids = [d.id for d in drafts]
            variants = (
                await session.scalars(
                    select(VariantRow).where(VariantRow.draft_id.in_(ids)).order_by(VariantRow.index)
                )
            ).all()
        latest: dict[tuple[str, int, str], str] = {}
        for r in ratings:  # in insertion order: a user's last rating of a variant is their verdict
            latest[(r.draft_id, r.variant, r.user_id)] = r.rating
        votes: Counter[tuple[str, int, str]] = Counter((d, i, value) for (d, i, _), value in latest.items())
        items: defaultdict[str, list[VariantFeedback]] = defaultdict(list)
        for v in variants:
            items[v.draft_id].append(
                VariantFeedback(
                    index=v.index,
                    text=v.text,
                    ups=votes[(v.draft_id, v.index, "up")],
                    downs=votes[(v.draft_id, v.index, "down")],
                    chosen=chosen.get(v.draft_id) == v.index,
                )
            )
        by_id = {d.id: d for d in drafts}
        return [
            DraftFeedback(
                draft_id=draft_id,
                brief=Brief.model_validate(by_id[draft_id].brief),
                created_at=utc(by_id[draft_id].created_at),
                variants=items[draft_id],
                chosen_variant=chosen.get(draft_id),
            )
            for draft_id in sorted(ids)
        ]

    async def reviews(
        self, since: datetime | None = None, *, brand: str | None = None
    ) -> list[ReviewFeedback]:
        """Drafts whose review saw an edit, a request for changes or an approval (at or after
        `since`), each with its whole trail. Across tenants: the export is the operator's. `brand`:
        only the drafts that brand's adapter wrote."""
        signal = select(ReviewEventRow.draft_id).where(ReviewEventRow.action.in_(SIGNAL_ACTIONS))
        if since is not None:
            signal = signal.where(ReviewEventRow.at >= since)
        async with self._sessions() as session:
            ids = sorted(set((await session.scalars(signal)).all()))
            if not ids:
                return []
            drafts = (await session.scalars(_drafts(ids, brand))).all()
            ids = sorted(d.id for d in drafts)
            if not ids:
                return []
            variants = (
                await session.scalars(
                    select(VariantRow).where(VariantRow.draft_id.in_(ids)).order_by(VariantRow.index)
                )
            ).all()
            edits = (
                await session.scalars(
                    select(RevisionRow)
                    .where(RevisionRow.draft_id.in_(ids))
                    .order_by(RevisionRow.variant, RevisionRow.number)
                )
            ).all()
            states = (await session.scalars(select(ReviewRow).where(ReviewRow.draft_id.in_(ids)))).all()
            changes = (
                await session.scalars(
                    select(ReviewEventRow)
                    .where(ReviewEventRow.draft_id.in_(ids), ReviewEventRow.action == "changes")
                    .order_by(ReviewEventRow.id)
                )
            ).all()
        revisions: defaultdict[str, list[Revision]] = defaultdict(list)
        by_id = {d.id: d for d in drafts}
        for v in variants:
            d = by_id[v.draft_id]
            revisions[v.draft_id].append(
                Revision(v.index, 0, v.text, d.user_id, d.user_name, utc(d.created_at))
            )
        for e in edits:
            revisions[e.draft_id].append(
                Revision(e.variant, e.number, e.text, e.author_id, e.author_name, utc(e.created_at))
            )
        approved = {r.draft_id: (r.approved_variant, r.approved_revision) for r in states}
        asked: defaultdict[str, list[tuple[int | None, int | None]]] = defaultdict(list)
        for c in changes:
            asked[c.draft_id].append((c.variant, c.revision))

        def find(draft_id: str, where: tuple[int | None, int | None]) -> Revision | None:
            return next((r for r in revisions[draft_id] if (r.variant, r.number) == where), None)

        return [
            ReviewFeedback(
                draft_id=draft_id,
                brief=Brief.model_validate(by_id[draft_id].brief),
                revisions=tuple(sorted(revisions[draft_id], key=lambda r: (r.variant, r.number))),
                approved=find(draft_id, approved.get(draft_id, (None, None))),
                changes_on=tuple(r for where in asked[draft_id] if (r := find(draft_id, where)) is not None),
            )
            for draft_id in ids
        ]
