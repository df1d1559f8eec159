"""`create_app()`: the HTTP sidecar, built the same way by `postpulse serve` and by the tests.

The app owns what it opens: given no engine, it loads the model in the background (off the event
loop) inside a cleanup_ctx and shuts the engine down on cleanup; given an engine (tests, an embedding
process), it only borrows it. While the model loads, the server already answers /health (alive) and
/ready (503), and generation routes answer 503 not_ready with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web

from adapters.http.auth import Guard, RateLimiter, guard_middleware, load_keys
from adapters.http.errors import error_middleware
from adapters.http.metrics import EngineSink, HttpMetrics, metrics_handler, metrics_middleware
from adapters.http.routes_generate import generate_text
from adapters.http.routes_openai import chat_completions, list_models
from adapters.http.routes_ops import catalog as catalog_route
from adapters.http.routes_ops import health, openapi, ready
from adapters.http.state import CATALOG, CONFIG, GUARD, HOLDER, METRICS, EngineHolder
from engine.async_engine import AsyncEngine, start_engine
from engine.catalog import Catalog
from engine.config import AppConfig

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[AsyncEngine]]
CleanupCtx = Callable[[web.Application], AsyncIterator[None]]
DEFAULT_GRACE_S = 30.0


def create_app(
    config: AppConfig,
    engine: AsyncEngine | None = None,
    *,
    catalog: Catalog | None = None,
    loader: Loader | None = None,
    env: Mapping[str, str] | None = None,
) -> web.Application:
    """`engine`: borrow this one; else `loader` (default: load config.model) makes one the app owns.

    `env` supplies the API keys variable (default os.environ), so tests need not touch the process.
    """
    catalog = catalog if catalog is not None else Catalog.from_config(config)
    app = web.Application(
        client_max_size=config.http.max_body_bytes,
        middlewares=[metrics_middleware, error_middleware, guard_middleware],
    )
    app[CONFIG] = config
    app[CATALOG] = catalog
    app[HOLDER] = EngineHolder(config, catalog)
    app[METRICS] = HttpMetrics()
    keys = load_keys(config.http.api_keys_env, env)
    app[GUARD] = Guard(keys, RateLimiter(config.http.rate_limit_per_minute))
    if keys:
        log.info("API keys required (%d configured in $%s)", len(keys), config.http.api_keys_env)
    app.cleanup_ctx.append(_engine_ctx(config, engine, loader))
    app.router.add_post("/generate-text", generate_text)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/catalog", catalog_route)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/openapi.json", openapi)
    return app


def _engine_ctx(config: AppConfig, engine: AsyncEngine | None, loader: Loader | None) -> CleanupCtx:
    async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
        holder = app[HOLDER]
        sink = app[METRICS].sink
        task: asyncio.Task[None] | None = None
        if engine is not None:
            engine.metrics.add(sink)
            holder.attach(engine)
        else:
            load = loader or (lambda: start_engine(None, config.engine, config.model))
            task = asyncio.create_task(_load(holder, load, sink), name="postpulse-model-load")
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if holder.engine is not None:
            with contextlib.suppress(ValueError):
                holder.engine.metrics.sinks.remove(sink)
            if engine is None:  # ours: stop the worker thread
                await holder.engine.shutdown()
                log.info("engine stopped")

    return engine_ctx


async def _load(holder: EngineHolder, load: Loader, sink: EngineSink) -> None:
    try:
        engine = await load()
    except Exception as exc:
        log.error("the model failed to load: %s", exc)
        holder.fail(exc)
        return
    engine.metrics.add(sink)
    holder.attach(engine)
    log.info("model %s ready", engine.model_name)


def make_runner(app: web.Application, grace_s: float = DEFAULT_GRACE_S) -> web.AppRunner:
    """handler_cancellation: a client that disconnects cancels its handler and so its engine request.

    `grace_s`: on cleanup, in-flight requests get this long to finish before they are cancelled.
    """
    return web.AppRunner(app, handler_cancellation=True, shutdown_timeout=grace_s)


async def start_site(runner: web.AppRunner, host: str, port: int) -> tuple[web.TCPSite, int]:
    """Start listening; returns the site and the bound port (useful with port 0)."""
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
    return site, bound
