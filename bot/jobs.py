"""DraftJob: one generation in flight, as the Assistant hands it to a front door."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from bot.brief import Brief
from bot.drafts import Draft, DraftDelta
from bot.records import Origin, RemixAction, StoredDraft


@dataclass
class _Failed:
    error: BaseException


class DraftJob:
    """One generation in flight: `brief` is known at once (for the "Drafting…" line), then iterate:
    `DraftDelta`s while the model writes, finally one `StoredDraft` (already saved).

    The generation starts when the job is made (not when iteration starts), so posting the
    "Drafting…" message does not delay it; a job nobody reads still finishes and is stored.
    Iterate it once; errors (EngineOverloaded, EngineTimeout, …) are raised from the iteration.
    """

    brief: Brief

    def __init__(
        self,
        brief: Brief,
        events: AsyncIterator[DraftDelta | Draft],
        save: Callable[[Draft], Any],
        *,
        origin: Origin,
        parent_id: str | None = None,
        action: RemixAction | None = None,
    ) -> None:
        self.brief = brief
        self.origin = origin
        self.parent_id = parent_id
        self.action = action
        self._events = events
        self._save = save
        self._queue: asyncio.Queue[DraftDelta | StoredDraft | _Failed] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump(), name="postpulse-draft")

    async def _pump(self) -> None:
        try:
            async for event in self._events:
                if isinstance(event, Draft):
                    self._queue.put_nowait(await self._save(event))
                    return
                self._queue.put_nowait(event)
            raise RuntimeError("the draft stream ended without a draft")
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._queue.put_nowait(_Failed(exc))
        finally:
            await self._events.aclose()  # type: ignore[attr-defined]

    def __aiter__(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Failed):
                raise item.error
            yield item
            if isinstance(item, StoredDraft):
                return

    async def result(self) -> StoredDraft:
        """Drain the job (no streaming) and return the stored draft."""
        async for item in self:
            if isinstance(item, StoredDraft):
                return item
        raise RuntimeError("the draft job ended without a draft")

    async def aclose(self) -> None:
        """Cancel the generation if it is still running."""
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
