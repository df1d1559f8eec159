"""Nothing heavy on the event loop: while the engine's batch is full of drafts being written and
finished (post-processing, the fact guard, tone scoring of every candidate), no single callback on the
loop every front door shares holds it for 50 ms or more.

How: every callback the loop runs is timed (`asyncio.Handle._run`, what asyncio's debug mode times
for its slow-callback log). Unlike debug mode, the time the kernel kept the loop's thread waiting for
a CPU is left out (Linux schedstat): seven jobs share this machine's two cores, and a callback that
was merely preempted did not block the loop. What counts is the callback's own CPU time and every wait
it made (a `join()`, a lock, file or socket I/O). The drafts go the way a front door's do: the runtime
`postpulse serve` builds, the Assistant, the real tiny model, a real SQLite store.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.runtime import build_runtime
from bot.assistant import DraftJob, Origin
from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig

pytestmark = pytest.mark.model

SLOW_S = 0.05
BATCH = 4  # a small engine keeps the run short on a shared machine; its batch is what gets saturated
DRAFTS = 4  # x best-of-2 candidates = 8 sequences: a full batch and as many waiting
BRIEFS = (
    "Spring sale: 30% off every running shoe this weekend at Stride, call 555-0100",
    "Our bakery now bakes gluten-free sourdough every Friday",
    "Join our free webinar on home composting on May 7th",
    "A new version of our project-management tool ships today",
)
SCHEDSTAT = Path("/proc/thread-self/schedstat")


def runqueue_wait_s() -> float:
    """Seconds this thread has waited for a CPU while runnable (0 where Linux schedstat is missing)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@contextlib.contextmanager
def loop_blocks(
    monkeypatch: pytest.MonkeyPatch, threshold_s: float
) -> Iterator[list[tuple[float, float, str]]]:
    """(blocked s, wall s, callback) for each callback that held the loop `threshold_s` or longer."""
    found: list[tuple[float, float, str]] = []
    run = asyncio.Handle._run

    def timed(handle: asyncio.Handle) -> None:
        wall, queued = time.perf_counter(), runqueue_wait_s()
        try:
            run(handle)
        finally:
            took = time.perf_counter() - wall
            blocked = took - (runqueue_wait_s() - queued)
            if blocked >= threshold_s:
                found.append((round(blocked, 3), round(took, 3), repr(handle)[:300]))

    with monkeypatch.context() as patch:
        patch.setattr(asyncio.Handle, "_run", timed)
        yield found


async def test_no_callback_blocks_the_loop_during_a_saturated_run(
    loaded_model: LoadedModel,
    app_config: AppConfig,
    catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = app_config.store.model_copy(update={"path": str(tmp_path / "drafts.db")})
    limits = app_config.engine.model_copy(update={"request_timeout_s": 1200})  # a shared, busy machine
    bot = app_config.bot.model_copy(update={"user_rate_limit_per_minute": 0})
    config = app_config.model_copy(update={"store": store, "engine": limits, "bot": bot})
    engine = AsyncEngine(
        loaded_model, EngineConfig(max_batch_size=BATCH, max_queue=64, request_timeout_s=1200)
    )
    async with build_runtime(config, {}, front_doors=False, engine=engine, catalog=catalog) as runtime:
        assistant = runtime.service.assistant

        async def draft(i: int) -> int:
            origin = Origin("slack", f"U{i}", "T1", "C1")
            fields: dict[str, object] = {"prompt": BRIEFS[i % len(BRIEFS)], "max_length": 8}
            job = await assistant.draft(origin, fields)
            assert isinstance(job, DraftJob)
            try:
                stored = await job.result()
            finally:
                await job.aclose()
            return len(stored.variants)

        try:
            with loop_blocks(monkeypatch, SLOW_S) as slow:
                variants = await asyncio.gather(*(draft(i) for i in range(DRAFTS)))
        finally:
            await engine.shutdown()
    assert variants == [1] * DRAFTS  # every draft was written, finished and stored
    assert slow == [], f"callbacks blocked the event loop for {SLOW_S * 1000:.0f} ms or more: {slow}"
