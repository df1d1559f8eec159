"""Brand kits in the store: settings round-trip, idempotent examples (also across two replicas of
one database), and the effective kit: config's starting kit, stored fields over it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.brandkit.service import BrandKits
from bot.brands import BrandRouter
from bot.config import AppConfig, BrandConfig, BrandKitConfig
from bot.errors import BrandNotFound, InvalidOption, NotAllowed
from bot.records import Origin
from bot.store import Store, open_store

ADMIN = Origin("slack", "U1", "TACME", roles=frozenset({"admin"}))
MEMBER = Origin("slack", "U2", "TACME")
OTHER = Origin("slack", "U3", "TOTHER", roles=frozenset({"admin"}))


def kits_over(store: Store) -> BrandKits:
    start = BrandKitConfig(voice="warm, plain words", examples=["Our shop opens at nine."], banned=["cheap"])
    brands = {"acme": BrandConfig(slack_workspaces=["TACME"], kit=start)}
    config = AppConfig(brands=brands)
    return BrandKits(config, BrandRouter(config.brands, {}), store)


async def test_settings_round_trip(store: Store) -> None:
    assert await store.brand_kits.settings("acme") == {}
    await store.brand_kits.set("acme", {"banned": ["cheap"]}, "U1")
    await store.brand_kits.set("acme", {"banned": ["cheap", "free"], "emoji": "none"}, "U1")
    assert await store.brand_kits.settings("acme") == {"banned": ["cheap", "free"], "emoji": "none"}
    assert await store.brand_kits.settings("other") == {}


async def test_the_same_example_twice_adds_nothing(store: Store) -> None:
    assert (
        await store.brand_kits.add_examples("acme", ["Spring menu is here.", "New salads!"], "import", "U1")
        == 2
    )
    again = ["Spring menu is here.", "  spring   MENU is here. ", "New salads!"]
    assert await store.brand_kits.add_examples("acme", again, "import", "U1") == 0
    assert await store.brand_kits.examples("acme") == ["Spring menu is here.", "New salads!"]
    assert await store.brand_kits.examples("other") == []
    assert [b for b, _, _ in await store.brand_kits.all_examples()] == ["acme", "acme"]


async def test_two_replicas_importing_at_once_store_each_example_once(store: Store, store_url: str) -> None:
    replica = await open_store(store_url)
    try:
        texts = [f"Post number {i}." for i in range(10)]
        added = await asyncio.gather(
            store.brand_kits.add_examples("acme", texts, "import", "U1"),
            replica.brand_kits.add_examples("acme", texts, "import", "U2"),
        )
        assert sum(added) == 10
        assert sorted(await replica.brand_kits.examples("acme")) == sorted(texts)
    finally:
        await replica.close()


async def test_the_effective_kit_is_the_config_then_what_admins_set(store: Store, store_url: str) -> None:
    kits = kits_over(store)
    start = await kits.show(MEMBER)
    assert start.brand == "acme" and start.voice == "warm, plain words" and start.banned == ("cheap",)
    changed = await kits.update(
        ADMIN, {"banned": ["cheap", "guaranteed"], "required": {"disclaimer": "Terms apply."}}, source="chat"
    )
    assert changed.banned == ("cheap", "guaranteed") and changed.disclaimer == "Terms apply."
    assert changed.voice == "warm, plain words"  # not named: the config's value stays
    assert await kits.add_examples(ADMIN, ["Our shop opens at nine."], source="chat") == 0  # config's own
    assert await kits.add_examples(ADMIN, ["Fresh bread at seven."], source="chat") == 1
    replica = await open_store(store_url)  # another replica reads the same kit
    try:
        seen = await kits_over(replica).show(MEMBER, "acme")
        assert seen == await kits.show(MEMBER, "acme")
        assert seen.examples == ("Our shop opens at nine.", "Fresh bread at seven.")
    finally:
        await replica.close()
    replaced = await kits.update(ADMIN, {"examples": ["Only this one."]}, "acme", source="http")
    assert replaced.examples == ("Only this one.",)
    cleared = await kits.update(ADMIN, {"banned": None, "required": None}, source="http")
    assert cleared.banned == () and cleared.disclaimer is None


async def test_only_admins_change_a_kit_and_only_their_own(store: Store) -> None:
    kits = kits_over(store)
    with pytest.raises(NotAllowed, match="Only a brand admin"):
        await kits.update(MEMBER, {"banned": ["free"]}, source="chat")
    with pytest.raises(NotAllowed):
        await kits.add_examples(MEMBER, ["A post."], source="chat")
    with pytest.raises(BrandNotFound, match="no such brand: 'acme'"):
        await kits.update(OTHER, {"banned": ["free"]}, "acme", source="http")
    with pytest.raises(BrandNotFound):
        await kits.show(OTHER, "acme")
    assert (await kits.show(OTHER)).brand == "default"  # a workspace no brand claims
    with pytest.raises(InvalidOption, match="Allowed fields: voice, examples, banned"):
        await kits.update(ADMIN, {"colour": "red"}, source="http")
    with pytest.raises(InvalidOption, match="not a hashtag"):
        await kits.update(ADMIN, {"required": {"hashtags": ["two words"]}}, source="http")
    assert await store.brand_kits.settings("acme") == {}  # nothing refused was stored


async def test_imported_examples_keep_their_details(store: Store) -> None:
    texts = ["Rain jackets are back. — Team Acme", "Headlamps just landed. — Team Acme"]
    details = [{"brief": "rain jackets back", "platform": "x", "engagement": {"likes": 12}}, None]
    assert await store.brand_kits.add_examples("acme", texts, "import", "cli", details=details) == 2
    posts = await store.brand_kits.example_posts("acme")
    assert [(p.text, p.source, p.details) for p in posts] == [
        (texts[0], "import", details[0]),
        (texts[1], "import", {}),
    ]
    assert await store.brand_kits.example_posts("acme", since=posts[-1].added_at) == []
    earlier = posts[0].added_at - timedelta(seconds=1)
    assert await store.brand_kits.example_posts("acme", since=earlier) == posts
    with pytest.raises(ValueError, match="2 texts but 1 details"):
        await store.brand_kits.add_examples("acme", texts, "import", "cli", details=[None])
