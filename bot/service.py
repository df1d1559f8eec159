"""BotService: what every front door shares (HTTP, Slack, Discord, the console, the playground).

It exists so front doors can start (and /health answer) while the model loads: `get()` gives the
DraftService once there is an engine, and raises EngineNotReady before, EngineDead after it stopped.
It is built whole over an open store; `loading()` starts the engines and stops them again. Who opens
the store and enters `loading()` is the composition root's business (adapters.runtime).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from bot.assistant import Assistant
from bot.brandkit.kit import DEFAULT_BRAND
from bot.brandkit.service import BrandKits
from bot.brands import BrandEngines, EngineLoader
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.lifecycle import stop_loaded
from bot.links import LinkReader
from bot.quality.tone import tone_judge
from bot.store import Store
from bot.tenancy import Tenancy
from engine.backends.live import LiveEngine
from engine.errors import EngineDead, EngineError, EngineNotReady
from engine.interface import Engine

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Engine]]
Warm = Callable[[Engine], Awaitable[None]]
# The start-up warm-up draft: the real path (prompt, best-of-n, post-processing, tone judge) at a
# short length, so the first person's draft meets no cold start (kernels, shapes, the judge's fit).
# 24 tokens warm the same kernels as 64 in under half the time: on transformers 2.0-2.2 s against
# 5.0-7.6 s, with the next drafts as fast (3-5 s at 150 tokens either way), quiet 2 cores.
WARM_BRIEF = {
    "prompt": "Our bakery opens a second shop on Main Street this Saturday",
    "platform": "linkedin",
    "tone": "professional",
    "max_length": 24,
}


class BotService:
    def __init__(
        self,
        config: AppConfig,
        catalog: Catalog,
        store: Store,
        env: Mapping[str, str],
        *,
        executor: Executor | None = None,
        links: LinkReader | None = None,
    ) -> None:
        """`env` supplies the brands' API keys (bot.brands); `store` is open, and closed by its opener.
        `executor`: the quality pool (bot.pool) every DraftService finishes its drafts in, opened and
        shut down by the composition root (None: the event loop's default executor).
        `links`: the reader `url:` briefs fetch pages with, entered by the composition root (None:
        links are refused in plain words)."""
        self.config = config
        self.catalog = catalog
        self.store = store
        self.executor = executor
        self.judge_warm: asyncio.Future[object] | None = None
        self.engine: LiveEngine | None = None  # the default brand's; its adapter can change live
        self.drafts: DraftService | None = None
        self.load_error: BaseException | None = None
        self.ready = asyncio.Event()
        self.started = int(time.time())
        self._on_attach: list[Callable[[Engine], None]] = []
        self.brands = BrandEngines(config, catalog, env, executor=executor)  # one engine per brand
        # The Assistant every chat front door calls; it answers help and ratings before the engine is
        # up (generations then raise EngineNotReady).
        self.tenancy = Tenancy(self.brands.router.key_brands())
        self.kits = BrandKits(config, self.brands.router, store)  # bot.brandkit: one per brand
        self.assistant = Assistant(
            self.get,
            store,
            catalog,
            config,
            brand_drafts=self.brands.get,
            tenancy=self.tenancy,
            kits=self.kits,
            links=links,
        )

    def on_attach(self, callback: Callable[[Engine], None]) -> None:
        """Run `callback(engine)` once the engine exists (at once if it already does)."""
        self._on_attach.append(callback)
        if self.engine is not None:
            callback(self.engine)

    def attach(self, engine: Engine) -> None:
        """The engine is up: whoever started it (`loading`, or a test) also stops it. It serves behind
        a LiveEngine, so the learning loop can swap the default brand's adapter (bot.learn.watch)."""
        live = engine if isinstance(engine, LiveEngine) else LiveEngine(engine, owned=False)
        self.engine = live
        self.drafts = DraftService.build(live, self.catalog, self.config, executor=self.executor)
        for callback in self._on_attach:
            callback(live)
        self.ready.set()

    def warm_judge(self) -> None:
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
        load = loader or default_loader(self.config, self.warm_up)
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
        live = LiveEngine(engine)  # owns it: stopping the LiveEngine stops it, and any swapped in later
        self.attach(live)
        log.info("engine ready: %s on %s", engine.model_name, engine.backend)
        return live

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
        """The engine's facts, and every brand's serving (and testing) adapter version."""
        body: dict[str, Any] = {"status": self.status}
        if self.engine is not None:
            body.update(self.engine.health())
        body["adapters"] = self.adapter_versions()
        return body

    def live(self, brand: str) -> LiveEngine | None:
        """The brand's engine (DEFAULT_BRAND: the default one), once it is up."""
        return self.engine if brand == DEFAULT_BRAND else self.brands.live(brand)

    def adapter_versions(self) -> dict[str, dict[str, str | None]]:
        """brand -> {"serving": "acme/v3" or "configured", "testing": "acme/v4" or None}."""
        names = [DEFAULT_BRAND, *self.brands.router.brands]
        out: dict[str, dict[str, str | None]] = {}
        for name in names:
            live = self.live(name)
            if live is not None:
                out[name] = {
                    "serving": version_label(name, live.version),
                    "testing": version_label(name, live.testing_version) if live.testing else None,
                }
        return out

    async def warm_up(self, engine: Engine) -> None:
        """One draft through the real path on `engine` before it takes traffic; /ready waits for it."""
        await warm_draft(engine, self.catalog, self.config)

    def get(self) -> DraftService:
        """The live DraftService, or the error a front door should answer with."""
        if self.load_error is not None:
            raise EngineDead("the model failed to load; see the server log")
        if self.engine is None or self.drafts is None:
            raise EngineNotReady("the model is still loading; retry shortly")
        if self.engine.is_dead:
            raise EngineDead("the engine has stopped; the service needs a restart")
        return self.drafts


def version_label(brand: str, version: int | None) -> str:
    """How /health, the CLI and the logs name an adapter version: "acme/v3" ("configured": none yet)."""
    return "configured" if version is None else f"{brand}/v{version}"


def default_loader(config: AppConfig, warm: Warm | None = None) -> Loader:
    """The configured backend's start-up: `engine.backend` (POSTPULSE_BACKEND), then `warm(engine)`
    before it is handed over (so /ready means warm).

    `vllm` with `engine.vllm.handoff` (the default) serves on the in-process transformers engine at
    once and hands new requests to the vLLM child once it is up and warm (engine.backends.handoff).
    Without hand-off, `vllm` falls back to the transformers engine, and logs why, where vLLM cannot
    run (no venv, another platform) or its server does not start, unless `engine.vllm.fallback` is off.
    """

    async def load() -> Engine:
        backend = config.engine.backend
        if backend == "openai":
            from engine.backends.openai import start_openai

            return await warmed(await start_openai(config.engine.openai, config.engine), warm)
        if backend == "vllm":
            from engine.backends.vllm import VllmEngine, VllmUnavailable

            try:
                vllm = VllmEngine(config.model, config.engine)  # raises at once where vLLM cannot run
                if config.engine.vllm.handoff:
                    return await start_handoff(config, vllm.start, warm)
                return await warmed(await vllm.start(), warm)
            except VllmUnavailable as exc:
                if not config.engine.vllm.fallback:
                    raise
                log.warning("vLLM backend unavailable, using the transformers engine instead: %s", exc)
        await imported(TRANSFORMERS_ENGINE)
        from engine.backends.transformers.async_engine import start_engine

        return await warmed(await start_engine(None, config.engine, config.model), warm)

    return load


# torch and transformers: seconds of imports (8.8 s of a 9.8 s start-up before the sidecar listened,
# on a quiet machine). Imported in a thread, so the event loop listens and answers meanwhile.
TRANSFORMERS_ENGINE = "engine.backends.transformers.async_engine"


async def imported(module: str) -> None:
    """Import `module` (and what it imports) off the event loop; the `from ... import` after it is then
    a dictionary lookup."""
    await asyncio.to_thread(importlib.import_module, module)


async def start_handoff(config: AppConfig, start_target: Loader, warm: Warm | None) -> Engine:
    """The transformers engine serves (warm) within seconds; `start_target` runs in the background."""
    from engine.backends.handoff import HandoffEngine

    await imported(TRANSFORMERS_ENGINE)
    from engine.backends.transformers.async_engine import start_engine

    fast = await start_engine(None, config.engine, config.model)
    return await HandoffEngine(fast, start_target, target_backend="vllm", warm=warm).start()


async def warm_draft(
    engine: Engine, catalog: Catalog, config: AppConfig, brief: Mapping[str, Any] = WARM_BRIEF
) -> None:
    """The warm-up: `brief` drafted on `engine` the way a person's brief is."""
    drafts = DraftService.build(engine, catalog, config)
    await drafts.create(drafts.brief(brief))


async def warmed(engine: Engine, warm: Warm | None) -> Engine:
    """`engine` after `warm(engine)`; a failed warm-up is logged, and the engine serves cold."""
    if warm is not None:
        started = time.perf_counter()
        try:
            await warm(engine)
        except EngineError as exc:
            log.warning("warming up %s failed (%s); it serves cold", engine.backend, exc)
        else:
            log.info("%s warmed up in %.1fs", engine.backend, time.perf_counter() - started)
    return engine
