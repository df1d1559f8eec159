"""Per-channel option defaults (`/postpulse defaults …`), keyed by front door, workspace and channel,
so one team's defaults never apply in another's channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.models import ChannelDefaultsRow


def _key(front_door: str, workspace_id: str | None, channel_id: str | None) -> tuple[str, str, str]:
    return front_door, workspace_id or "", channel_id or ""


class ChannelDefaults:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, front_door: str, workspace_id: str | None, channel_id: str | None) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(ChannelDefaultsRow, _key(front_door, workspace_id, channel_id))
            return dict(row.options) if row is not None else {}

    async def set(
        self,
        front_door: str,
        workspace_id: str | None,
        channel_id: str | None,
        options: Mapping[str, Any],
        user_id: str,
    ) -> None:
        """Replace the channel's defaults. UPDATE first, INSERT if there was nothing; a concurrent
        INSERT that wins the race turns ours into an UPDATE (portable upsert, no dialect SQL)."""
        key = _key(front_door, workspace_id, channel_id)
        values = {"options": dict(options), "updated_by": user_id, "updated_at": datetime.now(UTC)}
        for _ in range(2):
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(ChannelDefaultsRow)
                    .where(
                        ChannelDefaultsRow.front_door == key[0],
                        ChannelDefaultsRow.workspace_id == key[1],
                        ChannelDefaultsRow.channel_id == key[2],
                    )
                    .values(**values)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    return
            try:
                async with self._sessions.begin() as session:
                    session.add(
                        ChannelDefaultsRow(
                            front_door=key[0], workspace_id=key[1], channel_id=key[2], **values
                        )
                    )
                return
            except IntegrityError:
                continue

    async def clear(self, front_door: str, workspace_id: str | None, channel_id: str | None) -> bool:
        key = _key(front_door, workspace_id, channel_id)
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ChannelDefaultsRow).where(
                    ChannelDefaultsRow.front_door == key[0],
                    ChannelDefaultsRow.workspace_id == key[1],
                    ChannelDefaultsRow.channel_id == key[2],
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
