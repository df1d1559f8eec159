"""Prometheus metrics: HTTP requests by route and status, plus the engine's own signals.

Each app owns a CollectorRegistry, so several apps in one process (tests, a second sidecar) never
collide on metric names. `EngineSink` implements engine.metrics.EngineMetrics and is called from the
engine's worker thread; prometheus-client's metric objects are thread-safe. Engine metrics carry a
`backend` label (transformers | vllm | openai), and `postpulse_engine_info` names backend, model, state.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from adapters.http.errors import Handler
from adapters.http.state import METRICS, SERVICE

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30)
CLIENT_CLOSED = 499  # nginx's code for "the client went away before the answer"


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "postpulse_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "postpulse_http_request_duration_seconds",
            "End-to-end HTTP latency (streams: until the last byte)",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "postpulse_time_to_first_token_seconds",
            "Engine time from submit to first token",
            ["backend"],
            buckets=TTFT_BUCKETS,
            registry=r,
        )
        self.engine_latency = Histogram(
            "postpulse_engine_request_duration_seconds",
            "Engine time from submit to finish, by outcome",
            ["backend", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.inter_token_s = Histogram(
            "postpulse_decode_step_seconds",
            "Duration of one batched decode step",
            ["backend"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=r,
        )
        by = ["backend"]
        self.queue = Gauge("postpulse_queue_depth", "Requests waiting for a batch slot", by, registry=r)
        self.running = Gauge("postpulse_running_batch", "Sequences in the running batch", by, registry=r)
        self.tokens = Counter("postpulse_generated_tokens", "Tokens generated", by, registry=r)
        self.engine_info = Gauge(
            "postpulse_engine_info", "The engine serving drafts", ["backend", "model", "state"], registry=r
        )
        self.sink = EngineSink(self)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class EngineSink:
    """engine.metrics.EngineMetrics -> Prometheus."""

    def __init__(self, m: HttpMetrics) -> None:
        self.m = m
        self.backend = "unknown"

    def bind(self, backend: str) -> EngineSink:
        """Label what follows with the engine's backend (called when the engine is attached)."""
        self.backend = backend
        return self

    def queue_depth(self, waiting: int) -> None:
        self.m.queue.labels(self.backend).set(waiting)

    def batch_size(self, running: int) -> None:
        self.m.running.labels(self.backend).set(running)

    def first_token(self, seconds: float) -> None:
        self.m.ttft.labels(self.backend).observe(seconds)

    def inter_token(self, seconds: float) -> None:
        self.m.inter_token_s.labels(self.backend).observe(seconds)

    def tokens_generated(self, count: int) -> None:
        self.m.tokens.labels(self.backend).inc(count)

    def request_finished(self, outcome: str, seconds: float) -> None:
        self.m.engine_latency.labels(self.backend, outcome).observe(seconds)


def route_label(request: web.Request) -> str:
    """The route's template, never the raw path, so label cardinality stays bounded."""
    if request.match_info.http_exception is not None:
        return "unmatched"
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: sees the final status, including the JSON errors made inside it."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except asyncio.CancelledError:
        status = CLIENT_CLOSED
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        m = request.app[METRICS]
        route = route_label(request)
        m.requests.labels(route, request.method, str(status)).inc()
        m.latency.labels(route).observe(time.perf_counter() - started)


async def metrics_handler(request: web.Request) -> web.Response:
    m = request.app[METRICS]
    engine = request.app[SERVICE].engine
    if engine is not None:  # exact values at scrape time, not only at the last engine step
        facts = engine.health()
        m.queue.labels(engine.backend).set(facts.get("waiting", 0))
        m.running.labels(engine.backend).set(facts.get("running", 0))
        m.engine_info.clear()
        m.engine_info.labels(engine.backend, engine.model_name, request.app[SERVICE].status).set(1)
    return web.Response(body=m.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
