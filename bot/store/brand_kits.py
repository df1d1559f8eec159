"""Brand kits in the store: the fields a brand's admins set, and its example posts.

Both are read on every draft, so every replica drafts with the same kit the moment an admin's
change is committed. Examples are keyed by a hash of their text (whitespace and case folded), so
adding or importing the same post twice adds nothing, also when two replicas race.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.models import BrandExampleRow, BrandKitRow


def example_hash(text: str) -> str:
    """The same post however it was pasted: whitespace runs and case do not make a new example."""
    return hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()


class BrandKitRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def settings(self, brand: str) -> dict[str, Any]:
        """The fields the brand's admins have set ({} when none)."""
        async with self._sessions() as session:
            row = await session.get(BrandKitRow, brand)
            return dict(row.settings) if row is not None else {}

    async def set(self, brand: str, settings: Mapping[str, Any], user_id: str) -> None:
        """Replace the stored fields. UPDATE, else INSERT; losing an INSERT race turns it into an
        UPDATE (the portable upsert bot.store.defaults uses)."""
        values = {"settings": dict(settings), "updated_by": user_id, "updated_at": datetime.now(UTC)}
        for _ in range(2):
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(BrandKitRow).where(BrandKitRow.brand == brand).values(**values)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    return
            try:
                async with self._sessions.begin() as session:
                    session.add(BrandKitRow(brand=brand, **values))
                return
            except IntegrityError:
                continue

    async def examples(self, brand: str) -> list[str]:
        """The brand's stored examples, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BrandExampleRow.text)
                .where(BrandExampleRow.brand == brand)
                .order_by(BrandExampleRow.created_at, BrandExampleRow.content_hash)
            )
            return list(rows.all())

    async def add_examples(self, brand: str, texts: Iterable[str], source: str, user_id: str) -> int:
        """Add the texts not already stored; returns how many were new. One short transaction per
        text, so a duplicate (or a concurrent replica's insert) never undoes the others."""
        added = 0
        for text in dict.fromkeys(t.strip() for t in texts if t.strip()):
            key = example_hash(text)
            async with self._sessions() as session:
                if await session.get(BrandExampleRow, (brand, key)) is not None:
                    continue
            try:
                async with self._sessions.begin() as session:
                    session.add(
                        BrandExampleRow(
                            brand=brand,
                            content_hash=key,
                            text=text,
                            source=source,
                            added_by=user_id,
                            created_at=datetime.now(UTC),
                        )
                    )
                added += 1
            except IntegrityError:
                continue  # another replica stored it first
        return added

    async def clear_examples(self, brand: str) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(BrandExampleRow).where(BrandExampleRow.brand == brand))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def all_examples(self) -> list[tuple[str, str, str]]:
        """(brand, text, source) of every stored example, for the feedback export."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(BrandExampleRow.brand, BrandExampleRow.text, BrandExampleRow.source).order_by(
                    BrandExampleRow.brand, BrandExampleRow.created_at, BrandExampleRow.content_hash
                )
            )
            return [(brand, text, source) for brand, text, source in rows.all()]
