"""The sidecar over real loopback HTTP, built by adapters.runtime.build_runtime exactly as
`postpulse serve` builds it, on 127.0.0.1 port 0 in the session's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters.runtime import build_runtime
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.links import LinkReader
from bot.service import BotService, Loader
from engine.backends.transformers.async_engine import AsyncEngine
from engine.interface import Engine

SHORT = 12  # max_length for most tests: a few decode steps keep the suite fast on 2 cores


@dataclass
class Server:
    app: web.Application
    service: BotService
    url: str
    runtime: contextlib.AsyncExitStack

    async def stop(self) -> None:
        await self.runtime.aclose()


async def start(
    config: AppConfig,
    engine: Engine | None = None,
    *,
    catalog: Catalog | None = None,
    loader: Loader | None = None,
    env: dict[str, str] | None = None,
    grace_s: float = 5.0,
    links: LinkReader | None = None,
) -> Server:
    """The runtime with `engine` borrowed (the test session's), or loaded by `loader` and owned."""
    stack = contextlib.AsyncExitStack()
    runtime = await stack.enter_async_context(
        build_runtime(
            config,
            env or {},
            host="127.0.0.1",
            port=0,
            grace_s=grace_s,
            engine=engine,
            loader=loader,
            catalog=catalog,
            links=links,
        )
    )
    assert runtime.app is not None and runtime.url is not None
    return Server(runtime.app, runtime.service, runtime.url, stack)


@contextlib.asynccontextmanager
async def serving(config: AppConfig, engine: Engine | None = None, **options: Any) -> AsyncIterator[Server]:
    """`start` (same options) for an `async with`: the runtime stops on the way out."""
    server = await start(config, engine, **options)
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
