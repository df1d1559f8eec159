"""Typed app keys and the engine holder every route reads the engine through.

The holder exists so the sidecar can listen (and answer /health, /ready) while the model loads:
routes ask it for the engine and get EngineNotReady until there is one, EngineDead once it stopped.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from aiohttp import web

from bot.drafts import DraftService
from engine.async_engine import AsyncEngine
from engine.catalog import Catalog
from engine.config import AppConfig
from engine.errors import EngineDead, EngineNotReady

if TYPE_CHECKING:
    from adapters.http.auth import Guard
    from adapters.http.metrics import HttpMetrics


class EngineHolder:
    """The app's engine once it exists, plus the DraftService built on it."""

    def __init__(self, config: AppConfig, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self.engine: AsyncEngine | None = None
        self.drafts: DraftService | None = None
        self.load_error: BaseException | None = None
        self.ready = asyncio.Event()
        self.started = int(time.time())

    def attach(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # bot.drafts.Engine declares model_name as a plain attribute; AsyncEngine's is a property.
        self.drafts = DraftService(engine, self.catalog, self.config.engine)
        self.ready.set()

    def fail(self, exc: BaseException) -> None:
        self.load_error = exc
        self.ready.set()

    @property
    def status(self) -> str:
        """loading | ready | dead | failed."""
        if self.load_error is not None:
            return "failed"
        if self.engine is None:
            return "loading"
        return "dead" if self.engine.is_dead else "ready"

    def get(self) -> tuple[AsyncEngine, DraftService]:
        """The live engine, or the error a route should answer with (503 either way)."""
        if self.load_error is not None:
            raise EngineDead("the model failed to load; see the server log")
        if self.engine is None or self.drafts is None:
            raise EngineNotReady("the model is still loading; retry shortly")
        if self.engine.is_dead:
            raise EngineDead("the engine has stopped; the service needs a restart")
        return self.engine, self.drafts


CONFIG = web.AppKey("config", AppConfig)
CATALOG = web.AppKey("catalog", Catalog)
HOLDER = web.AppKey("holder", EngineHolder)
METRICS: web.AppKey[HttpMetrics] = web.AppKey("metrics")
GUARD: web.AppKey[Guard] = web.AppKey("guard")
