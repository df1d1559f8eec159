"""The store's rows: drafts round-trip, every rating kept (latest wins), choices, channel defaults,
delivery ids claimed once (also across two store instances, i.e. replicas)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import DraftNotFound
from bot.records import Origin
from bot.store import Store, open_store
from tests.bot.store.support import children, make_draft, rating_rows

ALICE = Origin("slack", "U1", "T1", "C1")
BOB = Origin("discord", "U2", "G1", "C9")


async def test_draft_round_trip(store: Store) -> None:
    parent = make_draft(3)
    await store.drafts.add(parent, ["stop", "length", "stop"])
    child = make_draft(3, parent_id=parent.id, action="shorter", origin=BOB)
    await store.drafts.add(child)
    got = await store.drafts.get(parent.id, "slack:T1")
    assert got.brief == parent.brief
    assert got.variants == parent.variants
    assert got.origin == parent.origin
    assert (got.model, got.adapter, got.request_id) == (parent.model, parent.adapter, parent.request_id)
    assert got.backend == parent.backend == "vllm"  # the engine that wrote it (0006)
    assert (got.prompt_tokens, got.completion_tokens, got.platform_limit) == (120, 30, 280)
    assert got.generation_seconds == parent.generation_seconds and got.scores == parent.scores
    assert got.created_at == parent.created_at and got.created_at.tzinfo is not None
    assert got.parent_id is None and got.chosen_variant is None and got.ratings == {}
    assert got.tenant == parent.tenant == "slack:T1"
    remix = await store.drafts.get(child.id, "discord:G1")
    assert (remix.parent_id, remix.action, remix.origin.front_door) == (parent.id, "shorter", "discord")
    assert await children(store, parent.id) == [(child.id, "shorter")]


async def test_unknown_draft(store: Store) -> None:
    with pytest.raises(DraftNotFound):
        await store.drafts.get("0" * 32, "slack:T1")


async def test_another_tenants_draft_is_not_found_in_the_same_words(store: Store) -> None:
    draft = make_draft()
    await store.drafts.add(draft)
    assert (await store.drafts.get(draft.id, "slack:T1")).id == draft.id
    for tenant in ("slack:T2", "discord:T1", "default", "key:abc", ""):
        with pytest.raises(DraftNotFound) as foreign:
            await store.drafts.get(draft.id, tenant)
        with pytest.raises(DraftNotFound) as unknown:
            await store.drafts.get(draft.id[::-1], tenant)
        assert str(foreign.value) == str(unknown.value).replace(draft.id[::-1], draft.id)


async def test_every_rating_is_kept_and_the_latest_wins(store: Store) -> None:
    draft = make_draft(2)
    await store.drafts.add(draft)
    ids = [
        await store.feedback.add_rating(draft.id, 0, "up", ALICE),
        await store.feedback.add_rating(draft.id, 0, "down", ALICE),  # alice changes her mind
        await store.feedback.add_rating(draft.id, 1, "down", BOB),
        await store.feedback.add_rating(draft.id, 0, "up", BOB),
    ]
    assert ids == sorted(ids) and len(set(ids)) == 4
    rows = await rating_rows(store, draft.id)
    assert [(r.variant, r.rating, r.user_id) for r in rows] == [
        (0, "up", "U1"),
        (0, "down", "U1"),
        (1, "down", "U2"),
        (0, "up", "U2"),
    ]
    assert (await store.drafts.get(draft.id, draft.tenant)).ratings == {0: "up", 1: "down"}
    (feedback,) = await store.feedback.export()
    first, second = feedback.variants
    assert (first.ups, first.downs) == (1, 1)  # alice's latest (down) and bob's (up): one each
    assert (second.ups, second.downs, second.rejected) == (0, 1, True)


async def test_choices_latest_wins_and_feedback_since(store: Store) -> None:
    draft = make_draft(3)
    await store.drafts.add(draft)
    await store.feedback.add_choice(draft.id, 2, ALICE)
    await store.feedback.add_choice(draft.id, 1, BOB)
    assert (await store.drafts.get(draft.id, draft.tenant)).chosen_variant == 1
    (feedback,) = await store.feedback.export()
    assert feedback.chosen_variant == 1 and [v.chosen for v in feedback.variants] == [False, True, False]
    assert await store.feedback.export(datetime.now(UTC) + timedelta(minutes=1)) == []


async def test_delivery_ids_are_claimed_once_even_across_replicas(store: Store, store_url: str) -> None:
    other = await open_store(store_url)  # a second replica on the same database
    try:
        results = await asyncio.gather(*(s.deliveries.claim("slack:Ev123") for s in [store, other] * 10))
        assert sorted(results) == [False] * 19 + [True]
        assert await other.deliveries.claim("slack:Ev124") is True
        assert await store.deliveries.claim("discord:Ev123") is True  # keys are per front door
    finally:
        await other.close()


async def test_channel_defaults_set_show_clear(store: Store, store_url: str) -> None:
    assert await store.defaults.get("slack", "T1", "C1") == {}
    await store.defaults.set("slack", "T1", "C1", {"tone": "casual"}, "U1")
    await store.defaults.set("slack", "T1", "C1", {"tone": "witty", "platform": "x"}, "U2")
    assert await store.defaults.get("slack", "T1", "C1") == {"tone": "witty", "platform": "x"}
    assert await store.defaults.get("slack", "T1", "C2") == {}  # per channel
    assert await store.defaults.get("discord", "T1", "C1") == {}  # per front door
    await store.defaults.set("console", None, None, {"voice": "calm"}, "me")
    assert await store.defaults.get("console", None, None) == {"voice": "calm"}
    other = await open_store(store_url)
    try:  # two replicas saving the same channel at once: no error, one of them wins
        await asyncio.gather(
            store.defaults.set("slack", "T9", "C9", {"tone": "luxury"}, "U1"),
            other.defaults.set("slack", "T9", "C9", {"tone": "fomo"}, "U2"),
        )
        assert (await store.defaults.get("slack", "T9", "C9"))["tone"] in ("luxury", "fomo")
    finally:
        await other.close()
    assert await store.defaults.clear("slack", "T1", "C1") is True
    assert await store.defaults.clear("slack", "T1", "C1") is False
    assert await store.defaults.get("slack", "T1", "C1") == {}


async def test_siblings_share_a_group_read_back_in_order_within_the_tenant(store: Store) -> None:
    """`platform:x,linkedin` drafts (bot.jobs.DraftGroup): one group id, read back oldest first; another
    tenant sees no group, and a lone draft has none."""
    first, second = make_draft(1), make_draft(1)
    later = second.created_at + timedelta(seconds=1)
    siblings = [replace(first, group_id="g" * 32), replace(second, group_id="g" * 32, created_at=later)]
    lone = make_draft(1)
    for draft in (*reversed(siblings), lone):
        await store.drafts.add(draft)
    assert [d.id for d in await store.drafts.group("g" * 32, "slack:T1")] == [d.id for d in siblings]
    assert await store.drafts.group("g" * 32, "slack:T2") == []
    assert (await store.drafts.get(siblings[1].id, "slack:T1")).group_id == "g" * 32
    assert (await store.drafts.get(lone.id, "slack:T1")).group_id is None


async def test_feedback_of_one_brand(store: Store) -> None:
    """The learning loop trains a brand on the drafts its own adapter wrote (drafts.adapter); the
    default brand's drafts are the default engine's (no adapter recorded)."""
    acme, other, default = (replace(make_draft(2), adapter=a) for a in ("acme", "globex", None))
    for draft in (acme, other, default):
        await store.drafts.add(draft)
        await store.feedback.add_rating(draft.id, 0, "up", ALICE)
        await store.feedback.add_choice(draft.id, 1, BOB)
    assert {f.draft_id for f in await store.feedback.export()} == {acme.id, other.id, default.id}
    assert [f.draft_id for f in await store.feedback.export(brand="acme")] == [acme.id]
    assert [f.draft_id for f in await store.feedback.export(brand="default")] == [default.id]
    assert await store.feedback.export(brand="initech") == []
