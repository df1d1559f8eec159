"""The live engine: one `engine.interface.Engine` whose weights can change while it serves.

Why: the learning loop (issue 19) promotes a new adapter version, or rolls one back, while the process
serves drafts; a restart would fail every request in flight and leave the brand without drafts while
a model loads. Over the engines, one Engine, so nothing above it changes when the adapter does.

The rules:
- Each engine it holds is a `Slot` with an opaque adapter `version` (None: the configured adapter).
  The serving slot takes every request, except that a `testing` slot, when set, takes a `share` of
  them, chosen by a hash of `request.route_key` (else the request id): the same key always goes the
  same way, so a draft's follow-up request meets the same weights, and nothing random is needed.
- A request runs on the slot chosen when it starts and finishes there. `serve()` and `test()` move new
  requests only; the slot they replace is retired: it keeps running what it has, and once idle (or
  after `drain_s`) it is shut down, if this engine owns it. So a swap fails no request.
- Every result names the adapter version that wrote it (`GenerationResult.adapter_version`).
- The caller builds each new engine (off the event loop, its own business) before handing it over:
  the slot it replaces serves meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from engine.interface import Engine, StreamEvent
from engine.metrics import MetricsFanout
from engine.types import GenerationRequest, GenerationResult

log = logging.getLogger(__name__)

DRAIN_S = 600.0  # the longest a retired engine waits for its requests before it is stopped anyway


@dataclass(eq=False)
class Slot:
    """One engine and the adapter version it serves. `owned`: stopped by the LiveEngine when retired."""

    engine: Engine
    version: int | None
    owned: bool = True
    inflight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


def bucket(key: str) -> float:
    """A stable number in [0, 1) for `key` (the same on every replica and every run)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


class LiveEngine:
    """engine.interface.Engine over a serving engine and, optionally, a testing one taking a share."""

    def __init__(
        self, engine: Engine, version: int | None = None, *, owned: bool = True, drain_s: float = DRAIN_S
    ) -> None:
        """`engine` serves `version` from now on; `owned` off: a borrowed engine (a test's session
        engine), never stopped here. Every engine handed over later is owned."""
        self.metrics = MetricsFanout()
        self.drain_s = drain_s
        # The name drafts report, kept across swaps: which version wrote a draft is recorded
        # (GenerationResult.adapter_version), never shown (an A/B test must not tell users).
        self._name = engine.model_name
        self.primary = self._take(Slot(engine, version, owned))
        self.testing: Slot | None = None
        self.share = 0.0
        self.swaps = 0
        self._retiring: set[asyncio.Task[None]] = set()

    # -- the Engine interface ------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def backend(self) -> str:
        return self.primary.engine.backend

    @property
    def is_dead(self) -> bool:
        return self.primary.engine.is_dead

    @property
    def serving(self) -> Engine:
        """The engine most requests starting now run on."""
        return self.primary.engine

    @property
    def version(self) -> int | None:
        return self.primary.version

    @property
    def testing_version(self) -> int | None:
        return self.testing.version if self.testing is not None else None

    def health(self) -> dict[str, Any]:
        facts = self.primary.engine.health()
        return {**facts, "adapter_version": self.version, "testing_version": self.testing_version}

    def pick(self, request: GenerationRequest) -> Slot:
        """The slot a request starting now runs on."""
        testing = self.testing
        if testing is None or self.share <= 0 or testing.engine.is_dead:
            return self.primary
        return testing if bucket(request.route_key or request.request_id) < self.share else self.primary

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        slot = self.pick(request)
        slot.inflight += 1
        slot.idle.clear()
        events = slot.engine.stream(request)
        try:
            async for event in events:
                if isinstance(event, GenerationResult) and event.adapter_version is None:
                    event = replace(event, adapter_version=slot.version)
                yield event
        finally:
            try:
                await events.aclose()  # type: ignore[attr-defined]
            finally:
                slot.inflight -= 1
                if slot.inflight == 0:
                    slot.idle.set()

    async def shutdown(self) -> None:
        """Stop every owned engine, the retiring ones included (their requests are cancelled); the
        first failure is raised once the others have stopped."""
        tasks = list(self._retiring)
        for task in tasks:
            task.cancel()
        slots = [self.primary, *([self.testing] if self.testing is not None else [])]
        self.testing = None
        errors: list[Exception] = []
        for slot in slots:
            try:
                await self._stop(slot)
            except Exception as exc:  # the other engines still stop
                log.error("stopping adapter version %s failed: %s", _label(slot.version), exc)
                errors.append(exc)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if errors:
            raise errors[0]

    # -- swaps ---------------------------------------------------------------------------------------

    def serve(self, engine: Engine, version: int | None) -> None:
        """`engine` (serving `version`) takes new requests from now on; the one before is retired."""
        old = self.primary
        self.primary = self._take(Slot(engine, version))
        self.swaps += 1
        log.info("now serving adapter version %s (was %s)", _label(version), _label(old.version))
        self._retire(old)

    def promote_testing(self) -> None:
        """The testing engine serves every request from now on (no load: its engine is already up)."""
        testing = self.testing
        if testing is None:
            raise ValueError("no testing engine to promote")
        old, self.primary, self.testing, self.share = self.primary, testing, None, 0.0
        self.swaps += 1
        log.info("testing adapter version %s now serves every request", _label(testing.version))
        self._retire(old)

    def test(self, engine: Engine | None, version: int | None, share: float) -> None:
        """`engine` takes `share` of new requests (None: no testing engine); the one before is retired."""
        if not 0 <= share <= 1:
            raise ValueError(f"share must be between 0 and 1 (got {share})")
        old = self.testing
        self.testing = self._take(Slot(engine, version)) if engine is not None else None
        self.share = share if engine is not None else 0.0
        if old is not None:
            self._retire(old)

    async def drained(self) -> None:
        """Until every retired engine has finished its requests and stopped (tests wait on this)."""
        while self._retiring:
            await asyncio.gather(*list(self._retiring), return_exceptions=True)

    def _take(self, slot: Slot) -> Slot:
        slot.engine.metrics.add(self.metrics)
        return slot

    def _retire(self, slot: Slot) -> None:
        task = asyncio.create_task(self._drain(slot), name=f"postpulse-retire-{_label(slot.version)}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _drain(self, slot: Slot) -> None:
        try:
            await asyncio.wait_for(slot.idle.wait(), self.drain_s)
        except TimeoutError:
            log.warning(
                "adapter version %s still has %d requests after %.0fs; stopping it anyway",
                _label(slot.version),
                slot.inflight,
                self.drain_s,
            )
        try:
            await self._stop(slot)
        except Exception as exc:  # nobody awaits a retirement: say so here
            log.error("stopping retired adapter version %s failed: %s", _label(slot.version), exc)
        else:
            log.info("retired adapter version %s stopped", _label(slot.version))

    async def _stop(self, slot: Slot) -> None:
        with contextlib.suppress(ValueError):
            slot.engine.metrics.sinks.remove(self.metrics)
        if slot.owned:
            await slot.engine.shutdown()


def _label(version: int | None) -> str:
    return "configured" if version is None else f"v{version}"
