"""`create_app()`: the HTTP sidecar, built the same way by `postpulse serve` and by the tests.

The engine comes from a bot.service.BotService: `postpulse serve` passes the one every front door
shares; tests pass an engine (borrowed) or nothing (the app loads one in the background, off the
event loop, inside a cleanup_ctx, and shuts it down on cleanup). While the model loads, the server
already answers /health (alive) and /ready (503); generation routes answer 503 not_ready.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping

from aiohttp import web

from adapters.http.auth import Guard, RateLimiter, guard_middleware, load_keys
from adapters.http.errors import error_middleware
from adapters.http.guards import body_timeout_middleware, host_middleware, install_guards
from adapters.http.limits import LimitedSite, runner_options
from adapters.http.metrics import HttpMetrics, metrics_handler, metrics_middleware
from adapters.http.routes_drafts import add_routes as add_draft_routes
from adapters.http.routes_generate import generate_text
from adapters.http.routes_openai import chat_completions, list_models
from adapters.http.routes_ops import catalog as catalog_route
from adapters.http.routes_ops import health, openapi, ready
from adapters.http.state import CATALOG, CONFIG, GUARD, HOLDER, METRICS
from adapters.playground import add_routes as add_playground_routes
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.service import BotService, Loader
from engine.interface import Engine

log = logging.getLogger(__name__)

CleanupCtx = Callable[[web.Application], AsyncIterator[None]]
DEFAULT_GRACE_S = 30.0


def create_app(
    config: AppConfig,
    engine: Engine | None = None,
    *,
    catalog: Catalog | None = None,
    loader: Loader | None = None,
    env: Mapping[str, str] | None = None,
    service: BotService | None = None,
) -> web.Application:
    """`service`: share this BotService (the composition root's; the app neither starts nor closes it).
    Else the app makes its own: it borrows `engine` when given, or loads one with `loader` (default:
    the configured backend) and owns it.

    `env` supplies the API keys variable (default os.environ), so tests need not touch the process.
    """
    owns_service = service is None
    if service is None:
        service = BotService(config, catalog)
    app = web.Application(
        client_max_size=config.http.max_body_bytes,
        middlewares=[
            metrics_middleware,
            error_middleware,
            host_middleware,
            guard_middleware,
            body_timeout_middleware,
        ],
    )
    install_guards(app, config.http)  # adapters/http/guards.py: security headers, auth failures
    app[CONFIG] = config
    app[CATALOG] = service.catalog
    app[HOLDER] = service
    app[METRICS] = HttpMetrics()
    keys = load_keys(config.http.api_keys_env, env)
    app[GUARD] = Guard(keys, RateLimiter(config.http.rate_limit_per_minute))
    if keys:
        log.info("API keys required (%d configured in $%s)", len(keys), config.http.api_keys_env)
    app.cleanup_ctx.append(_service_ctx(service, owns_service, engine, loader))
    app.router.add_post("/generate-text", generate_text)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/catalog", catalog_route)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/openapi.json", openapi)
    add_draft_routes(app)  # /v1/drafts/{id}, …/rating, …/choice, …/remix
    add_playground_routes(app)  # the page at / (adapters/playground)
    return app


def _service_ctx(
    service: BotService, owned: bool, engine: Engine | None, loader: Loader | None
) -> CleanupCtx:
    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        sink = app[METRICS].sink
        service.on_attach(lambda live: live.metrics.add(sink.bind(live.backend)))
        await service.open_store()  # no-op when the composition root opened it already
        if owned:
            if engine is not None:
                service.attach(engine)
            else:
                service.start_loading(loader)
        yield
        if service.engine is not None:
            with contextlib.suppress(ValueError):
                service.engine.metrics.sinks.remove(sink)
        if owned:
            await service.close()

    return service_ctx


def make_runner(app: web.Application, grace_s: float = DEFAULT_GRACE_S) -> web.AppRunner:
    """handler_cancellation: a client that disconnects cancels its handler and so its engine request.

    `grace_s`: on cleanup, in-flight requests get this long to finish before they are cancelled.
    """
    options = runner_options(app[CONFIG].http)  # adapters/http/limits.py: slow clients
    return web.AppRunner(app, handler_cancellation=True, shutdown_timeout=grace_s, **options)


async def start_site(runner: web.AppRunner, host: str, port: int) -> tuple[web.TCPSite, int]:
    """Start listening; returns the site and the bound port (useful with port 0)."""
    site = LimitedSite(runner, host, port, runner.app[CONFIG].http)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
    return site, bound
