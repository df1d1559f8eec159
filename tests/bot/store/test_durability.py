"""Concurrent writers lose nothing, and a writer killed with SIGKILL mid-stream loses no rating it
had acknowledged. The writers are separate processes (tests/bot/store/writer.py), as replicas would be."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.records import Origin
from bot.store import Store
from tests.bot.store.support import make_draft, rating_rows

REPO = Path(__file__).resolve().parents[3]
ACKS_BEFORE_KILL = 40


async def _writer(url: str, draft_id: str, count: int, user: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot.store.writer", url, draft_id, str(count), user,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _acks(proc: asyncio.subprocess.Process) -> list[int]:
    assert proc.stdout is not None
    return [int(line.split()[1]) for line in (await proc.stdout.read()).decode().splitlines()]


async def test_concurrent_writers_lose_nothing(store: Store, store_url: str) -> None:
    draft = make_draft(2)
    await store.drafts.add(draft)
    per_writer = 15
    procs = [await _writer(store_url, draft.id, per_writer, f"P{i}") for i in range(3)]

    async def in_process(n: int) -> list[int]:  # plus this process writing at the same time
        return [
            await store.feedback.add_rating(draft.id, n % 2, "up", Origin("http", f"T{n}"))
            for _ in range(per_writer)
        ]

    local = await asyncio.gather(*(in_process(n) for n in range(3)))
    acked = [await _acks(p) for p in procs]
    for proc in procs:
        assert await proc.wait() == 0, (await proc.stderr.read()).decode() if proc.stderr else ""
    ids = {i for batch in [*local, *acked] for i in batch}
    assert len(ids) == 6 * per_writer  # every write got its own row
    rows = await rating_rows(store, draft.id)
    assert {r.id for r in rows} == ids
    assert {r.user_id for r in rows} == {"P0", "P1", "P2", "T0", "T1", "T2"}


async def test_sigkill_mid_write_loses_no_acknowledged_rating(store: Store, store_url: str) -> None:
    draft = make_draft(2)
    await store.drafts.add(draft)
    proc = await _writer(store_url, draft.id, 0, "victim")  # writes until killed
    assert proc.stdout is not None
    acked: list[int] = []
    while len(acked) < ACKS_BEFORE_KILL:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert line, (await proc.stderr.read()).decode() if proc.stderr else "the writer died"
        acked.append(int(line.split()[1]))
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of its next write
    acked += await _acks(proc)  # acks already in the pipe were printed after their commit
    assert await proc.wait() == -signal.SIGKILL
    stored = {r.id for r in await rating_rows(store, draft.id)}
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged ratings lost"
    assert len(stored) >= len(acked) >= ACKS_BEFORE_KILL
    await store.feedback.add_rating(
        draft.id, 0, "up", Origin("slack", "after")
    )  # the database is still writable
