"""The hand-off engine: serve on an engine that starts in seconds while a faster one starts, then move
new requests to the faster one once it is up and warm.

Why: the managed vLLM child needs 35-400 s to start on two cores (and again after a crash, or when an
adapter swap restarts it), while the in-process transformers engine is ready in seconds. Over both, one
`engine.interface.Engine`, so nothing above the engine knows there are two beyond /health.

The rules:
- A request runs on the engine chosen when it starts and finishes there; the switch only moves new
  requests.
- The target takes new requests only once it is alive and `warm(target)` has run, after its first
  start and again after every restart (a crash, an adapter swap), so its first request is not cold.
- If the target fails a request because it went away (EngineUnavailable: its child died or is
  restarting; EngineDead), the request runs again from the start on the fast engine: no request fails
  for a restart. Previews already streamed for a candidate are not extended (the fast engine writes
  other text); the finished result, which callers use, is the fast engine's.
- A target that cannot start leaves the fast engine serving for good, and /health says why.
- Every result names the backend that wrote it (`GenerationResult.backend`).

The fast engine is kept after the hand-off: it is what keeps a restart from failing requests, and it
costs 0.42 GB of the sidecar's RSS for the embedded model (bench/results/handoff-20261204-144906.json).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any, Literal

from engine.errors import EngineDead, EngineError, EngineUnavailable
from engine.interface import Engine, StreamEvent
from engine.metrics import MetricsFanout
from engine.types import GenerationRequest, GenerationResult, TextDelta

log = logging.getLogger(__name__)

Warm = Callable[[Engine], Awaitable[None]]
# warming: the target is starting (or warming up), the fast engine serves; target: the target serves;
# restarting: the target went away after serving and is coming back, the fast engine serves;
# fallback: the target could not start or is dead, the fast engine serves for good.
Phase = Literal["warming", "target", "restarting", "fallback"]

POLL_S = 0.25  # how often the follower looks at the target's health (a dict read; nothing heavy)


async def _no_warm(engine: Engine) -> None:
    return None


class HandoffEngine:
    """engine.interface.Engine over `fast` (serving now) and the engine `start_target()` returns."""

    def __init__(
        self,
        fast: Engine,
        start_target: Callable[[], Awaitable[Engine]],
        *,
        target_backend: str = "vllm",
        warm: Warm | None = None,
        poll_s: float = POLL_S,
        owns_fast: bool = True,
    ) -> None:
        """`target_backend` names the target in /health before it exists. The target is started here,
        so it is stopped here; `fast` is stopped too unless `owns_fast` is off (a borrowed engine)."""
        self.fast = fast
        self.owns_fast = owns_fast
        self.target_backend = target_backend
        self.target: Engine | None = None
        self.phase: Phase = "warming"
        self.error: str | None = None
        self.handoffs = 0  # times new requests moved to the target (first start + each restart)
        self.failovers = 0  # requests the target lost and the fast engine ran again
        self.metrics = MetricsFanout()
        fast.metrics.add(self.metrics)
        self._start_target = start_target
        self._warm = warm or _no_warm
        self._poll_s = poll_s
        self._follower: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    # -- the Engine interface ------------------------------------------------------------------------

    @property
    def serving(self) -> Engine:
        """The engine a request starting now runs on."""
        target = self.target
        if self.phase == "target" and target is not None and _alive(target):
            return target
        return self.fast

    @property
    def model_name(self) -> str:
        return self.serving.model_name

    @property
    def backend(self) -> str:
        """The serving engine's backend: best-of-n and the metrics label follow the engine that writes."""
        return self.serving.backend

    @property
    def is_dead(self) -> bool:
        return self.fast.is_dead and (self.target is None or self.target.is_dead)

    def health(self) -> dict[str, Any]:
        """`state` is `ready` whenever one engine serves: a target still warming up is no error."""
        serving = self.serving
        facts = serving.health()
        target = self.target.health() if self.target is not None else {"state": "starting"}
        if self.phase == "fallback":
            target = {**target, "state": "failed"}
        return {
            **facts,
            "alive": not serving.is_dead,
            "state": "dead" if self.is_dead else "ready",
            "backend": serving.backend,
            "model": serving.model_name,
            "handoff": {
                "phase": self.phase,
                "serving": serving.backend,
                "fast": self.fast.backend,
                "target": self.target_backend,
                "target_state": target.get("state", "ready" if target.get("alive") else "down"),
                "handoffs": self.handoffs,
                "failovers": self.failovers,
                "error": self.error,
            },
        }

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        engine = self.serving
        if engine is self.fast:
            async for event in _stamped(self.fast, request):
                yield event
            return
        previewed: set[int] = set()
        try:
            async for event in _stamped(engine, request):
                if isinstance(event, TextDelta):
                    previewed.add(event.index)
                yield event
            return
        except (EngineUnavailable, EngineDead) as exc:
            if self.fast.is_dead:
                raise
            self.failovers += 1
            self._lost_target(f"{engine.backend} lost a request: {exc}")
        async for event in _stamped(self.fast, request):
            if not (isinstance(event, TextDelta) and event.index in previewed):
                yield event

    async def shutdown(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        for engine in (self.fast, self.target):
            if engine is not None:
                with contextlib.suppress(ValueError):
                    engine.metrics.sinks.remove(self.metrics)
        errors: list[BaseException] = []
        for engine in (self.target, self.fast if self.owns_fast else None):
            if engine is None:
                continue
            try:
                await engine.shutdown()
            except Exception as exc:  # the other engine still stops
                log.error("stopping the %s engine failed: %s", engine.backend, exc)
                errors.append(exc)
        if errors:
            raise errors[0]

    # -- the hand-off --------------------------------------------------------------------------------

    async def start(self) -> HandoffEngine:
        """Warm the fast engine (it serves from now on), then start the target in the background."""
        await self._warm_up(self.fast)
        self._follower = asyncio.create_task(self._follow(), name="postpulse-handoff")
        return self

    async def wait_for(self, *phases: Phase) -> Phase:
        """Until the phase is one of `phases` (tests, benchmarks and start-up scripts wait on this)."""
        while self.phase not in phases:
            self._changed.clear()
            await self._changed.wait()
        return self.phase

    def _set(self, phase: Phase, error: str | None = None) -> None:
        if phase != self.phase:
            log.info("engine hand-off: %s -> %s (serving on %s)", self.phase, phase, self._backend_of(phase))
        self.phase, self.error = phase, error
        self._changed.set()

    def _backend_of(self, phase: Phase) -> str:
        if phase == "target" and self.target is not None:
            return self.target.backend
        return self.fast.backend

    def _lost_target(self, why: str) -> None:
        if self.phase == "target":
            log.warning("%s; new requests go to %s until it is back", why, self.fast.backend)
            self._set("restarting", why)

    async def _follow(self) -> None:
        """Start the target; then follow its health: hand off each time it comes up, warm."""
        started = time.perf_counter()
        try:
            target = await self._start_target()
        except Exception as exc:  # the fast engine keeps serving; say why
            log.warning("the faster engine could not start; %s keeps serving: %s", self.fast.backend, exc)
            self._set("fallback", str(exc))
            return
        self.target = target
        target.metrics.add(self.metrics)
        log.info("%s started in %.0fs; warming it up", target.backend, time.perf_counter() - started)
        while True:
            if target.is_dead:
                self._set("fallback", str(target.health().get("error") or f"{target.backend} stopped"))
                return
            alive = _alive(target)
            if alive and self.phase != "target":
                await self._warm_up(target)
                if _alive(target):
                    self.handoffs += 1
                    self._set("target")
                    continue
            elif not alive and self.phase == "target":
                self._lost_target(f"{target.backend} is {target.health().get('state') or 'down'}")
            await asyncio.sleep(self._poll_s)

    async def _warm_up(self, engine: Engine) -> None:
        started = time.perf_counter()
        try:
            await self._warm(engine)
        except EngineError as exc:  # a cold first request is better than none: log and go on
            log.warning("warming up %s failed (%s); it serves cold", engine.backend, exc)
            return
        log.info("%s warmed up in %.1fs", engine.backend, time.perf_counter() - started)


def _alive(engine: Engine) -> bool:
    return bool(engine.health().get("alive")) and not engine.is_dead


async def _stamped(engine: Engine, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
    """`engine`'s stream with its result naming the backend that wrote it."""
    events = engine.stream(request)
    try:
        async for event in events:
            if isinstance(event, GenerationResult) and event.backend is None:
                event = replace(event, backend=engine.backend)
            yield event
    finally:
        await events.aclose()  # type: ignore[attr-defined]
