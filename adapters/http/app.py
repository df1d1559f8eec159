"""`create_app()`: the HTTP sidecar over the BotService every front door shares.

adapters.runtime.build_runtime (the composition root, for `postpulse serve` and the tests alike)
builds it, runs it and owns what it serves; the app neither starts nor stops the service. While the
model loads, the server already answers /health (alive) and /ready (503); generation routes answer
503 not_ready.
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
from adapters.http.routes_brands import add_routes as add_brand_routes
from adapters.http.routes_drafts import add_routes as add_draft_routes
from adapters.http.routes_generate import generate_text
from adapters.http.routes_openai import chat_completions, list_models
from adapters.http.routes_ops import catalog as catalog_route
from adapters.http.routes_ops import health, openapi, ready
from adapters.http.routes_review import add_routes as add_review_routes
from adapters.http.state import CATALOG, CONFIG, GUARD, METRICS, SERVICE
from adapters.playground import add_routes as add_playground_routes
from bot.config import AppConfig
from bot.service import BotService

log = logging.getLogger(__name__)

CleanupCtx = Callable[[web.Application], AsyncIterator[None]]
DEFAULT_GRACE_S = 30.0


def create_app(config: AppConfig, service: BotService, env: Mapping[str, str]) -> web.Application:
    """`env` (the runtime's, read once) supplies the API keys variable."""
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
    app[SERVICE] = service
    app[METRICS] = HttpMetrics()
    keys = load_keys(config.http.api_keys_env, env)
    app[GUARD] = Guard(
        keys,
        RateLimiter(config.http.rate_limit_per_minute),
        admin_keys=load_keys(config.roles.admin_keys_env, env),
        reviewer_keys=load_keys(config.roles.reviewer_keys_env, env),
    )
    if app[GUARD].enabled:
        log.info("API keys required (%d configured in $%s)", len(keys), config.http.api_keys_env)
    app.cleanup_ctx.append(_metrics_ctx(service))
    app.router.add_post("/generate-text", generate_text)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/catalog", catalog_route)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/openapi.json", openapi)
    add_draft_routes(app)  # /v1/drafts/{id}/rating, …/choice, …/remix
    add_review_routes(app)  # GET /v1/drafts/{id}, …/review, …/edit, …/approve, …/changes
    add_brand_routes(app)  # /v1/brands/{brand}: the brand kit
    add_playground_routes(app)  # the page at / (adapters/playground)
    return app


def _metrics_ctx(service: BotService) -> CleanupCtx:
    """The engine reports to this app's /metrics while the app runs (the engine may outlive it)."""

    async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
        sink = app[METRICS].sink
        service.on_attach(lambda live: live.metrics.add(sink.bind(live.backend)))
        yield
        if service.engine is not None:
            with contextlib.suppress(ValueError):
                service.engine.metrics.sinks.remove(sink)

    return metrics_ctx


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
