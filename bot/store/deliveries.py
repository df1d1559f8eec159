"""Delivery claims: a platform's retry of a delivery is processed once, on whichever replica."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.models import DeliveryRow


class DeliveryClaims:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(self, key: str) -> bool:
        """True for the first claim of `key`, False for every later one (any replica): the
        database's primary key decides, not a read-then-write race."""
        try:
            async with self._sessions.begin() as session:
                session.add(DeliveryRow(key=key[:255], created_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True
