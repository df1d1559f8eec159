"""Brand kits in the store: the fields a brand's admins set, and its example posts.

Both are read on every draft, so every replica drafts with the same kit the moment an admin's
change is committed. Examples are keyed by a hash of their text (whitespace and case folded), so
adding or importing the same post twice adds nothing, also when two replicas race.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.database import utc
from bot.store.models import BrandExampleRow, BrandKitRow


def example_hash(text: str) -> str:
    """The same post however it was pasted: whitespace runs and case do not make a new example."""
    return hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()


@dataclass(frozen=True)
class ExamplePost:
    """A stored example post as the learning loop reads it."""

    text: str
    source: str
    details: dict[str, Any]
    added_at: datetime


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

    async def add_examples(
        self,
        brand: str,
        texts: Iterable[str],
        source: str,
        user_id: str,
        details: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> int:
        """Add the texts not already stored; returns how many were new. One short transaction per
        text, so a duplicate (or a concurrent replica's insert) never undoes the others. `details`
        (parallel to `texts`): what an import knew of each post (brief, platform, tone, date,
        engagement), kept for the learning loop's prompts."""
        given = list(texts)
        extra = list(details) if details is not None else [None] * len(given)
        if len(extra) != len(given):
            raise ValueError(f"{len(given)} texts but {len(extra)} details")
        posts: dict[str, Mapping[str, Any] | None] = {}
        for text, detail in zip(given, extra, strict=True):
            if text.strip():
                posts.setdefault(text.strip(), detail)
        added = 0
        for text, detail in posts.items():
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
                            details=dict(detail) if detail else None,
                            added_by=user_id,
                            created_at=datetime.now(UTC),
                        )
                    )
                added += 1
            except IntegrityError:
                continue  # another replica stored it first
        return added

    async def example_posts(self, brand: str, since: datetime | None = None) -> list[ExamplePost]:
        """The brand's examples with their details and when they were added (after `since` only,
        when given), oldest first: what the learning loop trains on."""
        query = select(BrandExampleRow).where(BrandExampleRow.brand == brand)
        if since is not None:
            query = query.where(BrandExampleRow.created_at > since)
        async with self._sessions() as session:
            rows = await session.scalars(
                query.order_by(BrandExampleRow.created_at, BrandExampleRow.content_hash)
            )
            return [
                ExamplePost(row.text, row.source, dict(row.details or {}), utc(row.created_at))
                for row in rows.all()
            ]

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
