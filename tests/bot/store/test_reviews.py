"""Review states in the store, on SQLite and PostgreSQL: two stores (two replicas' connection
pools) racing on one draft get one approval and one conflict; a writer process killed with SIGKILL
mid-stream loses no transition it had acknowledged; the audit trail reads back whole."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.errors import ReviewConflict
from bot.records import Origin
from bot.review import Reviews
from bot.review_types import ReviewChange
from bot.store import Store, open_store
from bot.tenancy import Tenancy
from tests.bot.store.support import make_draft

REPO = Path(__file__).resolve().parents[3]
AUTHOR = Origin("slack", "U1", "T1", "C1", "alice")
ACKS_BEFORE_KILL = 24


def reviewer(name: str) -> Origin:
    return Origin("slack", name, "T1", "C1", name, roles=frozenset({"reviewer"}))


async def test_a_write_conditional_on_a_stale_version_writes_nothing(store: Store) -> None:
    draft = make_draft(1)
    await store.drafts.add(draft)
    change = ReviewChange("review", "in_review", "U1", "alice", "slack", variant=0, revision=0)
    assert await store.reviews.apply(draft.id, 0, change)
    assert not await store.reviews.apply(draft.id, 0, change)  # the row exists: the insert is refused
    edit = ReviewChange("edit", "in_review", "U9", None, "http", variant=0, revision=1, text="New text.")
    assert await store.reviews.apply(draft.id, 1, edit)
    assert not await store.reviews.apply(draft.id, 1, edit)  # version 1 is gone: nothing written
    record = await store.reviews.get(draft.id)
    assert (record.state, record.version) == ("in_review", 2)
    assert [(r.number, r.text, r.author_id) for r in record.edits] == [(1, "New text.", "U9")]
    assert [e.action for e in record.history] == ["review", "edit"]


async def test_two_replicas_approving_at_once_make_one_approval(store: Store, store_url: str) -> None:
    other = await open_store(store_url)  # its own connection pool, as another replica has
    try:
        for _ in range(3):
            draft = make_draft(2)
            await store.drafts.add(draft)
            a, b = Reviews(store, Tenancy()), Reviews(other, Tenancy())
            await a.submit(AUTHOR, draft.id, 0)
            results = await asyncio.gather(
                a.approve(reviewer("RA"), draft.id, 0),
                b.approve(reviewer("RB"), draft.id, 1),
                return_exceptions=True,
            )
            won = [r for r in results if not isinstance(r, BaseException)]
            lost = [r for r in results if isinstance(r, BaseException)]
            assert len(won) == 1 and len(lost) == 1, results
            assert isinstance(lost[0], ReviewConflict) and lost[0].state == "approved"
            for replica in (a, b):  # both replicas read the same state and the same single approval
                status = await replica.status(AUTHOR, draft.id)
                assert status.state == "approved"
                assert [e.action for e in status.history] == ["review", "approve"]
                assert status.approved == won[0].approved  # type: ignore[union-attr]
    finally:
        await other.close()


async def test_concurrent_edits_each_get_their_own_revision(store: Store, store_url: str) -> None:
    other = await open_store(store_url)
    try:
        draft = make_draft(1)
        await store.drafts.add(draft)
        a, b = Reviews(store, Tenancy()), Reviews(other, Tenancy())
        await asyncio.gather(
            *((a if i % 2 else b).edit(reviewer(f"R{i}"), draft.id, 0, f"Edit {i}.") for i in range(6))
        )
        status = await a.status(AUTHOR, draft.id)
        assert [r.number for r in status.revisions] == list(range(7))
        assert sorted(r.text for r in status.revisions[1:]) == [f"Edit {i}." for i in range(6)]
        assert [e.revision for e in status.history] == list(range(1, 7))
    finally:
        await other.close()


async def test_sigkill_mid_review_loses_no_acknowledged_transition(store: Store, store_url: str) -> None:
    draft = make_draft(1)
    await store.drafts.add(draft)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot.store.review_writer", store_url, draft.id, "0",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    acked: list[tuple[int, str]] = []
    while len(acked) < ACKS_BEFORE_KILL:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        assert line, (await proc.stderr.read()).decode() if proc.stderr else "the writer died"
        _, n, action = line.decode().split()
        acked.append((int(n), action))
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of its next transition
    for line in (await proc.stdout.read()).decode().splitlines():  # printed after their commit
        _, n, action = line.split()
        acked.append((int(n), action))
    assert await proc.wait() == -signal.SIGKILL
    status = await Reviews(store, Tenancy()).status(AUTHOR, draft.id)
    stored = [e.action for e in status.history]
    assert len(stored) >= len(acked) >= ACKS_BEFORE_KILL
    for n, action in acked:
        assert stored[n - 1] == action, f"acknowledged transition {n} ({action}) lost"
    # Every stored edit is in the trail and the state is the last event's: nothing half-written.
    edits = [e.revision for e in status.history if e.action == "edit"]
    assert [r.number for r in status.revisions] == [0, *edits]
    expected = {"review": "in_review", "changes": "changes_requested"}
    last_move = next(e.action for e in reversed(status.history) if e.action != "edit")
    assert status.state == expected[last_move]
    # The store is still writable, and the draft still moves on.
    if status.state == "changes_requested":
        await Reviews(store, Tenancy()).submit(AUTHOR, draft.id, 0)
    assert (await Reviews(store, Tenancy()).approve(reviewer("R"), draft.id)).state == "approved"
