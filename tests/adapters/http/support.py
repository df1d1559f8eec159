"""The sidecar over real loopback HTTP: built with create_app() and served with AppRunner/TCPSite,
exactly as `postpulse serve` does, on 127.0.0.1 port 0 in the session's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters.http import make_runner, start_site
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine

SHORT = 12  # max_length for most tests: a few decode steps keep the suite fast on 2 cores


@dataclass
class Server:
    app: web.Application
    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(app: web.Application, grace_s: float = 5.0) -> Server:
    runner = make_runner(app, grace_s=grace_s)
    await runner.setup()
    _, port = await start_site(runner, "127.0.0.1", 0)
    return Server(app, runner, f"http://127.0.0.1:{port}")


@contextlib.asynccontextmanager
async def serving(app: web.Application, grace_s: float = 5.0) -> AsyncIterator[Server]:
    server = await start(app, grace_s)
    try:
        yield server
    finally:
        await server.stop()


def tuned(
    config: AppConfig, *, engine: dict[str, Any] | None = None, http: dict[str, Any] | None = None
) -> AppConfig:
    """A copy of the config with some engine/http limits changed (the app validates against these)."""
    return config.model_copy(
        update={
            "engine": config.engine.model_copy(update=engine or {}),
            "http": config.http.model_copy(update=http or {}),
        }
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


def idle(engine: AsyncEngine) -> bool:
    return engine.scheduler.waiting_count == 0 and not engine.scheduler.running
