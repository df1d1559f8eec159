"""Nothing heavy on the event loop: while the engine's batch is full of drafts being written and
finished (post-processing, the fact guard, tone scoring of every candidate), no single callback on the
loop every front door shares runs for 50 ms or more.

How: asyncio's debug mode times every callback and logs the slow ones (`slow_callback_duration`).
The drafts go the way a front door's do: the runtime `postpulse serve` builds, the Assistant, the real
tiny model, a real SQLite store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.runtime import build_runtime
from bot.assistant import DraftJob, Origin
from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine

pytestmark = pytest.mark.model

SLOW_S = 0.05
DRAFTS = 8  # x 2 variants x best-of-2 = 32 sequences: the session engine's whole batch
BRIEFS = (
    "Spring sale: 30% off every running shoe this weekend at Stride, call 555-0100",
    "Our bakery now bakes gluten-free sourdough every Friday",
    "Join our free webinar on home composting on May 7th",
    "A new version of our project-management tool ships today",
)


@contextlib.contextmanager
def slow_callbacks(caplog: pytest.LogCaptureFixture, threshold_s: float) -> Iterator[list[str]]:
    """The loop's callbacks that ran `threshold_s` or longer while the block ran (asyncio debug mode)."""
    loop = asyncio.get_running_loop()
    found: list[str] = []
    before = loop.slow_callback_duration
    caplog.set_level(logging.WARNING, logger="asyncio")
    loop.set_debug(True)
    loop.slow_callback_duration = threshold_s
    try:
        yield found
    finally:
        loop.set_debug(False)
        loop.slow_callback_duration = before
        found.extend(
            r.getMessage() for r in caplog.records if r.name == "asyncio" and " took " in r.getMessage()
        )


async def test_no_callback_blocks_the_loop_during_a_saturated_run(
    engine: AsyncEngine,
    app_config: AppConfig,
    catalog: Catalog,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = app_config.store.model_copy(update={"path": str(tmp_path / "drafts.db")})
    limits = app_config.engine.model_copy(update={"request_timeout_s": 600})
    bot = app_config.bot.model_copy(update={"user_rate_limit_per_minute": 0})
    config = app_config.model_copy(update={"store": store, "engine": limits, "bot": bot})
    async with build_runtime(config, {}, front_doors=False, engine=engine, catalog=catalog) as runtime:
        assistant = runtime.service.assistant

        async def draft(i: int) -> int:
            origin = Origin("slack", f"U{i}", "T1", "C1")
            fields: dict[str, object] = {"prompt": BRIEFS[i % len(BRIEFS)], "max_length": 24, "variants": 2}
            job = await assistant.draft(origin, fields)
            assert isinstance(job, DraftJob)
            try:
                stored = await job.result()
            finally:
                await job.aclose()
            return len(stored.variants)

        with slow_callbacks(caplog, SLOW_S) as slow:
            variants = await asyncio.gather(*(draft(i) for i in range(DRAFTS)))
    assert variants == [2] * DRAFTS  # every draft was written, finished and stored
    assert slow == [], f"callbacks blocked the event loop for {SLOW_S * 1000:.0f} ms or more: {slow}"
