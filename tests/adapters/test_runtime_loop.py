"""Nothing heavy on the event loop: while the engine's batch is full of drafts being written and
finished (post-processing, the fact guard, tone scoring of every candidate), no single callback on the
loop every front door shares does 50 ms of work.

How: every callback the loop runs is timed (`asyncio.Handle._run`, what asyncio's debug mode times
for its slow-callback log), in two ways, because seven jobs share this machine's two cores and wall
time there mostly measures the neighbours:
- the loop thread's CPU time in the callback (`time.thread_time`): 50 ms of it fails the test. It
  leaves out the time the kernel ran other processes, and the time the thread waited for the GIL
  that a worker thread held while the kernel had preempted that thread (measured: 50-65 ms for a
  callback that only sets a future's result, at load 25);
- the callback's wall time less its own run-queue wait (Linux schedstat): 0.5 s of it fails too, so a
  callback that blocks without computing (a `join()` on a thread, a sleep, a slow file) is caught.
The drafts go the way a front door's do: the runtime `postpulse serve` builds, the Assistant, the real
tiny model, a real SQLite store, a tone judge not yet fitted when the runtime starts (as in a fresh
`postpulse serve`), and every real check `DraftService.finish` runs. Each candidate's score also costs
CHECK_CPU_S more CPU, a stand-in for the checks still to come (specifics, brand rules): today's
checks take 4-9 ms per draft on a quiet core, too little to tell a loop that runs them from one that
does not, and the property under test is that no check's cost, whatever it grows to, lands on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.runtime import build_runtime
from bot.assistant import DraftJob, Origin
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.quality import scoring, tone
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig

pytestmark = pytest.mark.model

SLOW_CPU_S = 0.05
CHECK_CPU_S = 0.06  # per candidate: a best-of-2 draft finishing on the loop would hold it 0.12 s
SLOW_WAIT_S = 0.5
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
def loop_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[float, float, str]]]:
    """(CPU s, blocked s, callback) for each callback that computed SLOW_CPU_S or blocked SLOW_WAIT_S."""
    found: list[tuple[float, float, str]] = []
    run = asyncio.Handle._run

    def timed(handle: asyncio.Handle) -> None:
        wall, cpu, queued = time.perf_counter(), time.thread_time(), runqueue_wait_s()
        try:
            run(handle)
        finally:
            used = time.thread_time() - cpu
            took = time.perf_counter() - wall
            if used >= SLOW_CPU_S or took >= SLOW_WAIT_S:
                blocked = took - (runqueue_wait_s() - queued)
                if used >= SLOW_CPU_S or blocked >= SLOW_WAIT_S:
                    found.append((round(used, 3), round(blocked, 3), repr(handle)[:300]))

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
    tone.default_judge.cache_clear()  # a fresh process: the judge is fitted by the runtime's start-up
    monkeypatch.setattr(tone, "_warming", None)
    real_score = scoring.score

    def heavier_score(**kwargs: Any) -> scoring.Score:
        until = time.thread_time() + CHECK_CPU_S  # CPU time, so a busy machine does not shorten it
        while time.thread_time() < until:
            pass
        return real_score(**kwargs)

    monkeypatch.setattr(scoring, "score", heavier_score)
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
            with loop_blocks(monkeypatch) as slow:
                variants = await asyncio.gather(*(draft(i) for i in range(DRAFTS)))
        finally:
            await engine.shutdown()
    assert variants == [1] * DRAFTS  # every draft was written, finished and stored
    assert slow == [], f"callbacks held the event loop (CPU s, blocked s, callback): {slow}"
