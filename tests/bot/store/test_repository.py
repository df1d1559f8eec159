"""The store's rows: drafts round-trip, every rating kept (latest wins), choices, channel defaults,
delivery ids claimed once (also across two store instances, i.e. replicas)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import DraftNotFound
from bot.records import Origin
from bot.store import Store, open_store
from tests.bot.store.support import make_draft

ALICE = Origin("slack", "U1", "T1", "C1")
BOB = Origin("discord", "U2", "G1", "C9")


async def test_draft_round_trip(store: Store) -> None:
    parent = make_draft(3)
    await store.add_draft(parent, ["stop", "length", "stop"])
    child = make_draft(3, parent_id=parent.id, action="shorter", origin=BOB)
    await store.add_draft(child)
    got = await store.get_draft(parent.id)
    assert got.brief == parent.brief
    assert got.variants == parent.variants
    assert got.origin == parent.origin
    assert (got.model, got.adapter, got.request_id) == (parent.model, parent.adapter, parent.request_id)
    assert (got.prompt_tokens, got.completion_tokens, got.platform_limit) == (120, 30, 280)
    assert got.generation_seconds == parent.generation_seconds and got.scores == parent.scores
    assert got.created_at == parent.created_at and got.created_at.tzinfo is not None
    assert got.parent_id is None and got.chosen_variant is None and got.ratings == {}
    remix = await store.get_draft(child.id)
    assert (remix.parent_id, remix.action, remix.origin.front_door) == (parent.id, "shorter", "discord")
    assert await store.children(parent.id) == [(child.id, "shorter")]


async def test_unknown_draft(store: Store) -> None:
    with pytest.raises(DraftNotFound):
        await store.get_draft("0" * 32)


async def test_every_rating_is_kept_and_the_latest_wins(store: Store) -> None:
    draft = make_draft(2)
    await store.add_draft(draft)
    ids = [
        await store.add_rating(draft.id, 0, "up", ALICE),
        await store.add_rating(draft.id, 0, "down", ALICE),  # alice changes her mind
        await store.add_rating(draft.id, 1, "down", BOB),
        await store.add_rating(draft.id, 0, "up", BOB),
    ]
    assert ids == sorted(ids) and len(set(ids)) == 4
    rows = await store.rating_rows(draft.id)
    assert [(r.variant, r.rating, r.user_id) for r in rows] == [
        (0, "up", "U1"),
        (0, "down", "U1"),
        (1, "down", "U2"),
        (0, "up", "U2"),
    ]
    assert (await store.get_draft(draft.id)).ratings == {0: "up", 1: "down"}
    (feedback,) = await store.feedback()
    first, second = feedback.variants
    assert (first.ups, first.downs) == (1, 1)  # alice's latest (down) and bob's (up): one each
    assert (second.ups, second.downs, second.rejected) == (0, 1, True)


async def test_choices_latest_wins_and_feedback_since(store: Store) -> None:
    draft = make_draft(3)
    await store.add_draft(draft)
    await store.add_choice(draft.id, 2, ALICE)
    await store.add_choice(draft.id, 1, BOB)
    assert (await store.get_draft(draft.id)).chosen_variant == 1
    (feedback,) = await store.feedback()
    assert feedback.chosen_variant == 1 and [v.chosen for v in feedback.variants] == [False, True, False]
    assert await store.feedback(datetime.now(UTC) + timedelta(minutes=1)) == []


async def test_delivery_ids_are_claimed_once_even_across_replicas(store: Store, store_url: str) -> None:
    other = await open_store(store_url)  # a second replica on the same database
    try:
        results = await asyncio.gather(*(s.claim_delivery("slack:Ev123") for s in [store, other] * 10))
        assert sorted(results) == [False] * 19 + [True]
        assert await other.claim_delivery("slack:Ev124") is True
        assert await store.claim_delivery("discord:Ev123") is True  # keys are per front door
    finally:
        await other.close()


async def test_channel_defaults_set_show_clear(store: Store, store_url: str) -> None:
    assert await store.get_defaults("slack", "T1", "C1") == {}
    await store.set_defaults("slack", "T1", "C1", {"tone": "casual"}, "U1")
    await store.set_defaults("slack", "T1", "C1", {"tone": "witty", "platform": "x"}, "U2")
    assert await store.get_defaults("slack", "T1", "C1") == {"tone": "witty", "platform": "x"}
    assert await store.get_defaults("slack", "T1", "C2") == {}  # per channel
    assert await store.get_defaults("discord", "T1", "C1") == {}  # per front door
    await store.set_defaults("console", None, None, {"voice": "calm"}, "me")
    assert await store.get_defaults("console", None, None) == {"voice": "calm"}
    other = await open_store(store_url)
    try:  # two replicas saving the same channel at once: no error, one of them wins
        await asyncio.gather(
            store.set_defaults("slack", "T9", "C9", {"tone": "luxury"}, "U1"),
            other.set_defaults("slack", "T9", "C9", {"tone": "fomo"}, "U2"),
        )
        assert (await store.get_defaults("slack", "T9", "C9"))["tone"] in ("luxury", "fomo")
    finally:
        await other.close()
    assert await store.clear_defaults("slack", "T1", "C1") is True
    assert await store.clear_defaults("slack", "T1", "C1") is False
    assert await store.get_defaults("slack", "T1", "C1") == {}
