"""Drafts: written once, read by id *within a tenant*. There is no unscoped read: another
tenant's draft raises the same DraftNotFound, with the same words, as an id that never existed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import DraftNotFound
from bot.records import StoredDraft
from bot.store.mapping import draft_rows, stored_draft
from bot.store.models import ChoiceRow, DraftRow, RatingRow, VariantRow


def new_draft_id() -> str:
    return uuid.uuid4().hex


def not_found(draft_id: str) -> DraftNotFound:
    return DraftNotFound(f"no such draft: '{draft_id}'")


class DraftRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, draft: StoredDraft, finish_reasons: Sequence[str] = ()) -> None:
        row, variants = draft_rows(draft, finish_reasons)
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()  # the parent row first: variants reference it
            session.add_all(variants)

    async def get(self, draft_id: str, tenant: str) -> StoredDraft:
        """The draft, if it is `tenant`'s; else DraftNotFound, as for an unknown id."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(DraftRow).where(DraftRow.id == draft_id, DraftRow.tenant == tenant)
            )
            if row is None:
                raise not_found(draft_id)
            variants = await session.scalars(
                select(VariantRow).where(VariantRow.draft_id == draft_id).order_by(VariantRow.index)
            )
            ratings = await session.scalars(
                select(RatingRow).where(RatingRow.draft_id == draft_id).order_by(RatingRow.id)
            )
            choice = await session.scalar(
                select(ChoiceRow).where(ChoiceRow.draft_id == draft_id).order_by(ChoiceRow.id.desc()).limit(1)
            )
            return stored_draft(row, variants.all(), ratings.all(), choice)

    async def group(self, group_id: str, tenant: str) -> list[StoredDraft]:
        """The siblings written from one brief (bot.jobs.DraftGroup), oldest first; [] for an unknown
        group or another tenant's."""
        async with self._sessions() as session:
            ids = await session.scalars(
                select(DraftRow.id)
                .where(DraftRow.group_id == group_id, DraftRow.tenant == tenant)
                .order_by(DraftRow.created_at, DraftRow.id)
            )
            wanted = ids.all()
        return [await self.get(draft_id, tenant) for draft_id in wanted]
