"""The engine holder every front door shares: HTTP, Slack, Discord, the console and the playground.

It exists so front doors can start (and /health answer) while the model loads: `get()` gives the
DraftService once there is an engine, and raises EngineNotReady before, EngineDead after it stopped.
The service owns what it loads (and shuts it down); an engine handed to `attach` is only borrowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.assistant import Assistant
from bot.brands import BrandEngines
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.quality.settings import configure as configure_quality
from bot.store import Store, database_url, open_store
from bot.tenancy import Tenancy
from engine.errors import EngineDead, EngineNotReady
from engine.interface import Engine

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Engine]]


class BotService:
    def __init__(self, config: AppConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.catalog = catalog if catalog is not None else Catalog.from_config(config)
        self.engine: Engine | None = None
        self.drafts: DraftService | None = None
        self.load_error: BaseException | None = None
        self.ready = asyncio.Event()
        self.started = int(time.time())
        self._owned = False
        self._task: asyncio.Task[None] | None = None
        self._on_attach: list[Callable[[Engine], None]] = []
        self.store: Store | None = None
        self._assistant: Assistant | None = None
        self._owns_store = False
        self.brands = BrandEngines(self.config, self.catalog)  # one engine per configured brand
        self.tenancy = Tenancy(self.brands.router.key_brands())

    def on_attach(self, callback: Callable[[Engine], None]) -> None:
        """Run `callback(engine)` once the engine exists (at once if it already does)."""
        self._on_attach.append(callback)
        if self.engine is not None:
            callback(self.engine)

    def attach(self, engine: Engine, *, owned: bool = False) -> None:
        self.engine = engine
        self._owned = owned
        self.drafts = DraftService(engine, self.catalog, self.config.engine)
        configure_quality(self.drafts, self.config.quality, self.config.model.adapter)
        for callback in self._on_attach:
            callback(engine)
        self.ready.set()

    def fail(self, exc: BaseException) -> None:
        self.load_error = exc
        self.ready.set()

    def start_loading(self, loader: Loader | None = None) -> None:
        """Load the engine in the background (off the event loop); the service then owns it."""
        load = loader or default_loader(self.config)
        self._task = asyncio.create_task(self._load(load), name="postpulse-engine-load")
        self.brands.start_loading(default_loader)

    async def _load(self, load: Loader) -> None:
        try:
            engine = await load()
        except Exception as exc:
            log.error("the engine failed to start: %s", exc)
            self.fail(exc)
            return
        self.attach(engine, owned=True)
        log.info("engine ready: %s on %s", engine.model_name, engine.backend)

    async def open_store(self, store: Store | None = None) -> Store:
        """Open the drafts store from config (store.url / DATABASE_URL, else the SQLite file) and run
        its migrations; or adopt `store` (borrowed: not closed here). Idempotent."""
        if self.store is None:
            if store is not None:
                self.store = store
            else:
                url = database_url(self.config.store.url, self.config.store.path)
                self.store = await open_store(url, key_tenants=self.tenancy.key_tenants)
                self._owns_store = True
        return self.store

    @property
    def assistant(self) -> Assistant:
        """The Assistant every chat front door calls; exists once the store is open (before the
        engine is: generations then raise EngineNotReady)."""
        if self._assistant is None:
            if self.store is None:
                raise EngineNotReady("the drafts store is not open yet; retry shortly")
            self._assistant = Assistant(
                self.get,
                self.store,
                self.catalog,
                self.config,
                brand_drafts=self.brands.get,
                tenancy=self.tenancy,
            )
        return self._assistant

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.engine is not None and self._owned:
            await self.engine.shutdown()
            log.info("engine stopped")
        await self.brands.close()
        if self.store is not None and self._owns_store:  # last: drafts finishing above still save
            await self.store.close()
            self.store = None
            self._assistant = None

    @property
    def status(self) -> str:
        """loading | ready | dead | failed, or a live engine's own state when it is not ready
        (a managed vLLM child `restarting`, a remote server `unreachable`)."""
        if self.load_error is not None:
            return "failed"
        if self.engine is None:
            return "loading"
        if self.engine.is_dead:
            return "dead"
        return str(self.engine.health().get("state") or "ready")

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status}
        if self.engine is not None:
            body.update(self.engine.health())
        return body

    def get(self) -> DraftService:
        """The live DraftService, or the error a front door should answer with."""
        if self.load_error is not None:
            raise EngineDead("the model failed to load; see the server log")
        if self.engine is None or self.drafts is None:
            raise EngineNotReady("the model is still loading; retry shortly")
        if self.engine.is_dead:
            raise EngineDead("the engine has stopped; the service needs a restart")
        return self.drafts


def default_loader(config: AppConfig) -> Loader:
    """The configured backend's start-up: `engine.backend` (POSTPULSE_BACKEND).

    `vllm` falls back to the in-process transformers engine, and logs why, where vLLM cannot run
    (no venv, another platform) or its server does not start, unless `engine.vllm.fallback` is off.
    """

    async def load() -> Engine:
        backend = config.engine.backend
        if backend == "openai":
            from engine.backends.openai import start_openai

            return await start_openai(config.engine.openai, config.engine)
        if backend == "vllm":
            from engine.backends.vllm import VllmUnavailable, start_vllm

            try:
                return await start_vllm(config.model, config.engine)
            except VllmUnavailable as exc:
                if not config.engine.vllm.fallback:
                    raise
                log.warning("vLLM backend unavailable, using the transformers engine instead: %s", exc)
        from engine.backends.transformers.async_engine import start_engine

        return await start_engine(None, config.engine, config.model)

    return load
