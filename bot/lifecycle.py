"""Teardown steps that log instead of raise: one failing step must not skip the ones after it, and
a shutdown should say what failed (with its trace) rather than swallow it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from engine.interface import Engine

log = logging.getLogger(__name__)


async def stop_logged(what: str, stop: Callable[[], Awaitable[object]]) -> None:
    """Run one teardown step; an error is logged, and the caller goes on to the next step."""
    try:
        await stop()
    except Exception:
        log.exception("stopping %s failed", what)
    else:
        log.info("%s stopped", what)


async def stop_loaded(what: str, task: asyncio.Task[Engine | None]) -> None:
    """Cancel an engine load still running, or shut down the engine it started."""
    task.cancel()
    try:
        engine = await task
    except asyncio.CancelledError:
        return
    if engine is not None:
        await stop_logged(what, engine.shutdown)


@contextlib.asynccontextmanager
async def background(loop_body: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Run `loop_body` as a task for the life of the block, then cancel it and wait for it to end:
    the composition root enters these, so no background loop outlives the resources it uses."""
    task = asyncio.create_task(loop_body, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
