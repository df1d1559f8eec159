"""The learning schedule's lock: two replicas (two runtimes over one database), one training run.

Both replicas are real runtimes (`build_runtime`, as `postpulse serve` builds them) over one SQLite
file, and over one PostgreSQL database (tests/pg.py). The child a tick starts is a stand-in for
`postpulse learn` that records it ran (brand and niceness) and then waits for the test's word on a
FIFO, so the first replica is provably mid-run while the second one ticks."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.runtime import build_runtime
from bot.config import AppConfig, LearnConfig, StoreConfig
from bot.store import database_url
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import wait_until

STAND_IN = (
    "import os, sys; open(sys.argv[1], 'a').write(f'{sys.argv[2]} {os.nice(0)}\\n'); open(sys.argv[3]).read()"
)


def stand_in(record: Path, go: Path) -> Callable[[str], list[str]]:
    return lambda brand: [sys.executable, "-c", STAND_IN, str(record), brand, str(go)]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_replicas_one_training_run(
    database: str, request: pytest.FixtureRequest, tmp_path: Path, app_config: AppConfig, engine: AsyncEngine
) -> None:
    if database == "postgresql":
        store = StoreConfig(url=database_url(request.getfixturevalue("postgres_url"), None))
    else:
        store = StoreConfig(path=str(tmp_path / "drafts.db"))
    # a period so long that no tick of its own falls inside the test: the test ticks by hand
    learn = LearnConfig(schedule="every 3650d", nice=7)
    config = app_config.model_copy(update={"store": store, "learn": learn})
    record, go = tmp_path / "ran.txt", tmp_path / "go"
    os.mkfifo(go)
    command = stand_in(record, go)
    runtimes = [
        build_runtime(config, {}, front_doors=False, engine=engine, learn_command=command) for _ in range(2)
    ]
    async with runtimes[0] as first, runtimes[1] as second:
        assert first.scheduler is not None and second.scheduler is not None
        running = asyncio.create_task(first.scheduler.tick())
        assert await wait_until(lambda: record.exists() and record.read_text().endswith("\n"), timeout=60)
        assert await second.scheduler.tick() == "busy"  # the first holds the lock: the second skips
        await asyncio.to_thread(lambda: open(go, "w").close())  # let the stand-in finish
        assert await running == "ran"
        async with second.scheduler.lock.held() as got:
            assert got  # released once the run ended
    brand, niceness = record.read_text().split()
    assert brand == "default" and first.scheduler.runs == [("default", 0)] and second.scheduler.runs == []
    assert int(niceness) == min(19, os.nice(0) + 7)  # the child runs at learn.nice below the server


def test_a_schedule_that_is_not_one_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="'daily' is not a schedule: write 'every N'"):
        LearnConfig(schedule="daily")
    with pytest.raises(ValueError, match="at least a minute apart"):
        LearnConfig(schedule="every 5s")
    assert LearnConfig(schedule="every 24h").every_s == 86400
