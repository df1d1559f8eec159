"""What people did with each adapter version's drafts: the A/B test's raw counts (bot.learn.stats).

One grouped query over drafts, their review, picks, edits and ratings. A draft belongs to a brand by
`drafts.adapter` (the brand's name, bot.brands); the default brand's are those no configured brand
wrote. `tenants` keeps a team to its own drafts (chat asks for its own tenant; the operator's CLI for
all of the brand's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, case, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import ChoiceRow, DraftRow, RatingRow, ReviewRow, RevisionRow


@dataclass(frozen=True)
class VersionCounts:
    """`won`: drafts approved, picked or rated up, and rated down by nobody."""

    version: int | None  # None: the brand's configured adapter
    drafts: int
    approved: int
    picked: int
    edited: int
    rated_up: int
    rated_down: int
    won: int


class AbCounts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def per_version(
        self,
        brand: str,
        *,
        default_brand: bool = False,
        other_brands: Sequence[str] = (),
        tenants: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> dict[int | None, VersionCounts]:
        """version -> counts over the brand's drafts (`since`: created at or after it).
        `default_brand`: the drafts none of `other_brands` wrote."""
        d = DraftRow
        where: list[ColumnElement[bool]] = []
        if default_brand:
            where.append(or_(d.adapter.is_(None), not_(d.adapter.in_(list(other_brands)))))
        else:
            where.append(d.adapter == brand)
        if tenants is not None:
            where.append(d.tenant.in_(list(tenants)))
        if since is not None:
            where.append(d.created_at >= since)
        picked = exists().where(ChoiceRow.draft_id == d.id)
        edited = exists().where(RevisionRow.draft_id == d.id)
        up = exists().where(RatingRow.draft_id == d.id, RatingRow.rating == "up")
        down = exists().where(RatingRow.draft_id == d.id, RatingRow.rating == "down")
        approved = ReviewRow.state == "approved"
        won = and_(or_(approved, picked, up), not_(down))

        def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

        query = (
            select(
                d.adapter_version,
                func.count(d.id),
                count(approved),
                count(picked),
                count(edited),
                count(up),
                count(down),
                count(won),
            )
            .select_from(d)
            .outerjoin(ReviewRow, ReviewRow.draft_id == d.id)
            .where(*where)
            .group_by(d.adapter_version)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return {row[0]: VersionCounts(row[0], *(int(v) for v in row[1:])) for row in rows}
