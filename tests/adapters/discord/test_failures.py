"""Failures are private messages in plain words, the interaction is acknowledged at once anyway, and
nothing public is left behind (no model time: the engine here has no queue room)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from bot.assistant import Origin, StoredDraft
from bot.brief import Brief
from bot.config import AppConfig
from bot.postprocess import Post
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import Harness, custom_ids, running, tuned
from tests.fakes.discord_api import CALLBACK_DEFERRED, CALLBACK_DEFERRED_UPDATE, CALLBACK_MESSAGE, Json


async def private_text(h: Harness, interaction: Json) -> str:
    """The text of the private reply (once it has some: a deferred reply starts empty)."""
    texts = await h.fake.wait_for(
        lambda: [m["content"] for m in h.fake.messages_for(interaction, ephemeral=True) if m["content"]]
    )
    return str(texts[-1])


def public_left(h: Harness, interaction: Json) -> list[Json]:
    return [m for m in h.fake.messages_for(interaction, ephemeral=False) if m["id"] not in h.fake.deleted]


async def stored_draft(h: Harness, text: str = "Spring sale: ride further.") -> StoredDraft:
    """A draft in the real store, as an earlier /postpulse would have left it."""
    draft = StoredDraft(
        id="c0ffee00c0ffee00c0ffee00c0ffee00",
        brief=Brief(prompt="A spring sale", platform="x", tone="casual", max_length=24),
        variants=[Post(text, len(text.split()), len(text), [], False)],
        origin=Origin("discord", "2200000000000000001", workspace_id=h.fake.guilds[0].id),
        tenant=f"discord:{h.fake.guilds[0].id}",  # bot.tenancy: the guild's
        model="test",
        generation_seconds=1.0,
        created_at=datetime.now(UTC),
        platform_limit=280,
    )
    assert h.service.store is not None
    await h.service.store.drafts.add(draft)
    return draft


async def test_busy_engine_gets_a_private_message_and_leaves_nothing_public(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        cmd = h.fake.command("postpulse", {"prompt": "A spring sale", "tone": "casual"})
        sent = time.monotonic()
        await h.send(cmd)
        [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(cmd))
        assert callback.type == CALLBACK_DEFERRED and callback.at - sent < 3.0
        text = await private_text(h, cmd)
        assert text.startswith("⚠️ busy — try again in ") and text.endswith(" s"), text
        assert public_left(h, cmd) == [], "the public 'thinking…' message is removed"
        assert full_engine.counters.outcomes["overloaded"] >= 1


async def test_invalid_option_says_what_would_do(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        cmd = await h.send(h.fake.command("postpulse", {"prompt": "tone:casul A spring sale"}))
        text = await private_text(h, cmd)
        assert "casul" in text and "did you mean casual" in text and "professional" in text, text
        assert public_left(h, cmd) == []
        typed = await h.send(h.fake.command("postpulse", {"prompt": "A spring sale", "platform": "myspace"}))
        assert "platform" in (await private_text(h, typed)).lower()


async def test_failed_remix_puts_the_draft_back_and_says_why(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        draft = await stored_draft(h)
        ids = [f"pp:regenerate:{draft.id}", f"pp:up:{draft.id}:0"]
        message = h.fake.seed_message(h.fake.guilds[0].channel_ids[0], "Spring sale: ride further.", ids)
        click = await h.send(h.fake.click(message, f"pp:regenerate:{draft.id}"))
        text = await private_text(h, click)
        assert text.startswith("⚠️ busy"), text
        [callback] = h.fake.callbacks_for(click)
        assert callback.type == CALLBACK_DEFERRED_UPDATE
        shown = h.fake.messages[message["id"]]
        assert shown["content"].startswith("Spring sale: ride further.") and custom_ids(shown)[0] == ids[0]


async def test_unknown_draft_and_allow_list(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        gone = "deadbeef" * 4
        message = h.fake.seed_message(h.fake.guilds[0].channel_ids[0], "old", [f"pp:up:{gone}:0"])
        click = await h.send(h.fake.click(message, f"pp:up:{gone}:0"))
        assert "that draft no longer exists" in await private_text(h, click)

    closed = tuned(app_config, allowed_guilds=[1234])  # not the fake's guild
    async with running(closed, full_engine, tmp_path / "drafts.db") as h:
        cmd = await h.send(h.fake.command("postpulse", {"prompt": "A spring sale"}))
        [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(cmd))
        assert callback.type == CALLBACK_MESSAGE and callback.data["flags"] & 64
        assert "not enabled in this server" in callback.data["content"]
    async with running(tuned(app_config, allowed_channels=[999]), full_engine, tmp_path / "drafts.db") as h:
        message = h.fake.seed_message(h.fake.guilds[0].channel_ids[0], "old", [f"pp:up:{gone}:0"])
        click = await h.send(h.fake.click(message, f"pp:up:{gone}:0"))
        [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(click))
        assert "not enabled in this channel" in callback.data["content"], "clicks obey the allow-list too"


async def test_direct_messages_can_be_switched_off(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config, dms=False), full_engine, tmp_path / "drafts.db") as h:
        dm = await h.send(h.fake.direct_message("postpulse-help", {}))
        [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(dm))
        assert "direct messages" in callback.data["content"] and callback.data["flags"] & 64
        postpulse = next(c for c in h.fake.commands[None] if c["name"] == "postpulse")
        assert postpulse["contexts"] == [0], "Discord does not even offer the command in DMs"
    async with running(tuned(app_config, dms=True), full_engine, tmp_path / "drafts.db") as h:
        dm = await h.send(h.fake.direct_message("postpulse-help", {}))
        text = await h.fake.wait_for(
            lambda: [m["content"] for m in h.fake.messages_for(dm) if "How to use" in m["content"]]
        )
        assert text
