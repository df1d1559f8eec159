"""DraftJob: one generation in flight, as the Assistant hands it to a front door; DraftGroup: its
siblings, one per platform, from one brief."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
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


class DraftGroup:
    """Sibling drafts from one brief, one per platform (`platform:x,linkedin`), written at once and
    stored under one `group_id`. Each job is an ordinary draft (its own id, buttons and remixes), so
    a front door shows each sibling as it shows any draft; the group only says they belong together."""

    def __init__(self, group_id: str, jobs: Sequence[DraftJob]) -> None:
        if len(jobs) < 2:
            raise ValueError("a draft group holds two drafts or more")
        self.group_id = group_id
        self.jobs = tuple(jobs)

    async def results(self) -> list[StoredDraft]:
        """Every sibling, stored, in the order the platforms were asked; the first failure is raised
        once every sibling has ended (the others are still stored)."""
        outcomes = await asyncio.gather(*(job.result() for job in self.jobs), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return [o for o in outcomes if isinstance(o, StoredDraft)]

    async def aclose(self) -> None:
        """Cancel the siblings still being written."""
        for job in self.jobs:
            await job.aclose()
