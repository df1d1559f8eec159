"""BotService: what every front door shares (HTTP, Slack, Discord, the console, the playground).

It exists so front doors can start (and /health answer) while the model loads: `get()` gives the
DraftService once there is an engine, and raises EngineNotReady before, EngineDead after it stopped.
It is built whole over an open store; `loading()` starts the engines and stops them again. Who opens
the store and enters `loading()` is the composition root's business (adapters.runtime).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from bot.assistant import Assistant
from bot.brands import BrandEngines, EngineLoader
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.lifecycle import stop_loaded
from bot.quality.tone import tone_judge
from bot.store import Store
from bot.tenancy import Tenancy
from engine.errors import EngineDead, EngineNotReady
from engine.interface import Engine

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Engine]]


class BotService:
    def __init__(
        self,
        config: AppConfig,
        catalog: Catalog,
        store: Store,
        env: Mapping[str, str],
        *,
        executor: Executor | None = None,
    ) -> None:
        """`env` supplies the brands' API keys (bot.brands); `store` is open, and closed by its opener.
        `executor`: the quality pool (bot.pool) every DraftService finishes its drafts in, opened and
        shut down by the composition root (None: the event loop's default executor)."""
        self.config = config
        self.catalog = catalog
        self.store = store
        self.executor = executor
        self.judge_warm: asyncio.Future[object] | None = None
        self.engine: Engine | None = None
        self.drafts: DraftService | None = None
        self.load_error: BaseException | None = None
        self.ready = asyncio.Event()
        self.started = int(time.time())
        self._on_attach: list[Callable[[Engine], None]] = []
        self.brands = BrandEngines(config, catalog, env, executor=executor)  # one engine per brand
        # The Assistant every chat front door calls; it answers help and ratings before the engine is
        # up (generations then raise EngineNotReady).
        self.tenancy = Tenancy(self.brands.router.key_brands())
        self.assistant = Assistant(
            self.get, store, catalog, config, brand_drafts=self.brands.get, tenancy=self.tenancy
        )

    def on_attach(self, callback: Callable[[Engine], None]) -> None:
        """Run `callback(engine)` once the engine exists (at once if it already does)."""
        self._on_attach.append(callback)
        if self.engine is not None:
            callback(self.engine)

    def attach(self, engine: Engine) -> None:
        """The engine is up: whoever started it (`loading`, or a test) also stops it."""
        self.engine = engine
        self.drafts = DraftService.build(engine, self.catalog, self.config, executor=self.executor)
        for callback in self._on_attach:
            callback(engine)
        self.ready.set()

    def warm_up(self) -> None:
        """Fit the tone judge now, in the quality pool, while the engine loads: the first draft must
        not pay for it, and nothing waits for it on the event loop. Idempotent; call it on the loop."""
        if self.config.quality.tone_judge and self.judge_warm is None:
            self.judge_warm = asyncio.get_running_loop().run_in_executor(self.executor, tone_judge)

    @property
    def judge_ready(self) -> bool:
        """The tone judge is fitted (or switched off): a draft finishing now does not wait for it."""
        if not self.config.quality.tone_judge:
            return True
        return self.judge_warm is not None and self.judge_warm.done()

    def fail(self, exc: BaseException) -> None:
        self.load_error = exc
        self.ready.set()

    @contextlib.asynccontextmanager
    async def loading(
        self, loader: Loader | None = None, brand_loader: EngineLoader | None = None
    ) -> AsyncIterator[None]:
        """Load the engine, and every brand's, in the background (off the event loop) for the life of
        the block; on exit, cancel a load still running and shut down what was started."""
        load = loader or default_loader(self.config)
        task = asyncio.create_task(self._load(load), name="postpulse-engine-load")
        try:
            async with self.brands.loading(brand_loader or default_loader):
                yield
        finally:
            await stop_loaded("the engine", task)

    async def _load(self, load: Loader) -> Engine | None:
        try:
            engine = await load()
        except Exception as exc:
            log.error("the engine failed to start: %s", exc)
            self.fail(exc)
            return None
        self.attach(engine)
        log.info("engine ready: %s on %s", engine.model_name, engine.backend)
        return engine

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
