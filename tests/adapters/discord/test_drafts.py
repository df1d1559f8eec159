"""The whole path with the real model: /postpulse -> deferred -> streamed edits -> final message with
buttons; every button with its store rows; a restart, then a click on a week-old message."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path

from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import (
    SHORT,
    SHORTENABLE,
    Harness,
    custom_ids,
    draft_id_of,
    has_buttons,
    running,
    tuned,
)
from tests.bot.store.support import children as store_children
from tests.bot.store.support import rating_rows
from tests.fakes.discord_api import (
    CALLBACK_DEFERRED,
    CALLBACK_DEFERRED_UPDATE,
    FLAG_EPHEMERAL,
    FakeDiscord,
    Json,
)

GENERATION_TIMEOUT = 600.0  # the CPU is shared; a 16-token draft normally takes seconds
INFO_LINE = re.compile(r"^-# X \(Twitter\) · casual · \d+/280 chars · \d+ words · \d+\.\ds$", re.M)


async def finished(h: Harness, interaction: Json) -> Json:
    """The interaction's message once it carries buttons (the final edit)."""
    return await h.fake.wait_for(  # type: ignore[no-any-return]
        lambda: has_buttons(h.fake.original(interaction)) and h.fake.original(interaction), GENERATION_TIMEOUT
    )


async def private_reply(h: Harness, interaction: Json, contains: str) -> Json:
    def found() -> Json | None:
        return next(
            (m for m in h.fake.messages_for(interaction, ephemeral=True) if contains in m["content"]), None
        )

    return await h.fake.wait_for(found)  # type: ignore[no-any-return]


async def test_command_defers_streams_and_finishes_with_buttons(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), engine, tmp_path / "drafts.db") as h:
        fake = h.fake
        guild = fake.guilds[0]
        cmd = fake.command(
            "postpulse",
            {"prompt": f"{SHORT} A spring sale at a bike shop", "tone": "casual", "platform": "x"},
        )
        sent = time.monotonic()
        await h.send(cmd)
        [callback] = await fake.wait_for(lambda: fake.callbacks_for(cmd))
        assert callback.type == CALLBACK_DEFERRED and callback.at - sent < 3.0
        final = await finished(h, cmd)

        edits = fake.webhook_calls(cmd["token"], "PATCH")
        partial = [e for e in edits if e.body["content"].endswith("▌")]
        assert partial, "the draft is shown while it is written"
        assert (
            partial[0]
            .body["content"]
            .startswith("✍️ Drafting a casual X (Twitter) post for <@2200000000000000001>")
        )
        assert all(not e.body.get("components") for e in partial), "no buttons on a draft in progress"
        gaps = [b.at - a.at for a, b in itertools.pairwise(partial)]
        assert all(gap >= 0.8 for gap in gaps), f"about one edit a second, got gaps {gaps}"
        assert all(e.body["allowed_mentions"] == {"parse": []} for e in edits), "a draft never pings anyone"

        assert "▌" not in final["content"] and INFO_LINE.search(final["content"]), final["content"]
        draft_id = draft_id_of(final)
        stored = await h.service.store.drafts.get(draft_id, f"discord:{guild.id}")  # type: ignore[union-attr]
        assert stored.brief.tone == "casual" and stored.brief.platform == "x"
        assert stored.brief.max_length == 16, "length:16 inside the prompt is the grammar's"
        assert stored.brief.prompt == "A spring sale at a bike shop"
        assert stored.origin.front_door == "discord" and stored.origin.workspace_id == guild.id
        assert stored.origin.user_id == "2200000000000000001"
        assert final["content"].startswith(stored.variants[0].text.strip())
        assert custom_ids(final) == [
            f"pp:regenerate:{draft_id}",
            f"pp:shorter:{draft_id}",
            f"pp:longer:{draft_id}",
            f"pp:up:{draft_id}:0",
            f"pp:down:{draft_id}:0",
            f"pp:tone:{draft_id}",
            f"pp:use:{draft_id}:0",
            f"pp:send:{draft_id}:0",
            f"pp:edit:{draft_id}:0",
        ]
        assert fake.heartbeats >= 1, "the gateway connection is kept alive"


async def test_every_button_with_its_store_rows(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), engine, tmp_path / "drafts.db") as h:
        fake = h.fake
        cmd = await h.send(
            fake.command(
                "postpulse",
                {"prompt": f"{SHORTENABLE} A bike shop's spring sale", "tone": "casual", "platform": "x"},
            )
        )
        message = await finished(h, cmd)
        draft_id = draft_id_of(message)
        store, tenant = h.service.store, f"discord:{fake.guilds[0].id}"
        assert store is not None
        parent = await store.drafts.get(draft_id, tenant)

        up = await h.send(fake.click(message, f"pp:up:{draft_id}:0"))
        await private_reply(h, up, "Thanks — saved for variant 1")
        down = await h.send(fake.click(message, f"pp:down:{draft_id}:0", user_id="2200000000000000009"))
        await private_reply(h, down, "Thanks — saved for variant 1")
        use = await h.send(fake.click(message, f"pp:use:{draft_id}:0"))
        chosen = await private_reply(h, use, "Variant 1 it is")
        assert parent.variants[0].text.strip() in chosen["content"]
        assert store_rows(await rating_rows(store, draft_id)) == [
            (0, "up", "2200000000000000001"),
            (0, "down", "2200000000000000009"),
        ]
        assert (await store.drafts.get(draft_id, tenant)).chosen_variant == 0
        for click in (up, down, use):
            [cb] = fake.callbacks_for(click)
            assert cb.type == CALLBACK_DEFERRED and cb.data["flags"] & FLAG_EPHEMERAL

        clicks = {
            "regenerate": fake.click(message, f"pp:regenerate:{draft_id}"),
            "shorter": fake.click(message, f"pp:shorter:{draft_id}"),
            "longer": fake.click(message, f"pp:longer:{draft_id}"),
            "tone": fake.click(message, f"pp:tone:{draft_id}", values=["witty"]),
        }
        await asyncio.gather(*(h.send(c) for c in clicks.values()))  # one batch in the engine
        for click in clicks.values():
            await fake.wait_for(lambda c=click: remix_final(fake, c, draft_id), GENERATION_TIMEOUT)
            [cb] = fake.callbacks_for(click)
            assert cb.type == CALLBACK_DEFERRED_UPDATE, "a live message is rewritten in place"
        children = dict(await store_children(store, draft_id))
        assert sorted(a for a in children.values() if a) == ["longer", "regenerate", "shorter", "tone"]
        by_action = {action: await store.drafts.get(child, tenant) for child, action in children.items()}
        assert by_action["tone"].brief.tone == "witty"
        assert (
            by_action["shorter"].brief.max_length
            < parent.brief.max_length
            < by_action["longer"].brief.max_length
        )
        assert by_action["regenerate"].brief.seed != parent.brief.seed or parent.brief.seed is None
        for action, click in clicks.items():
            body = remix_final(fake, click, draft_id)
            assert body is not None
            assert draft_id_of(body) == by_action[action].id, "the message now carries the remix's buttons"


def remix_final(fake: FakeDiscord, click: Json, parent_id: str) -> Json | None:
    """The body of a click's final edit: buttons for a new draft (not the parent's put back)."""
    finals = [
        c.body
        for c in fake.webhook_calls(click["token"], "PATCH")
        if c.body.get("components") and draft_id_of(c.body) != parent_id
    ]
    return finals[-1] if finals else None


def store_rows(rows: list[object]) -> list[tuple[int, str, str]]:
    return [(r.variant, r.rating, r.user_id) for r in rows]  # type: ignore[attr-defined]


async def test_after_a_restart_a_week_old_message_still_works(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    config, db = tuned(app_config), tmp_path / "drafts.db"
    fake = await FakeDiscord(heartbeat_interval_ms=250).start()
    try:
        async with running(config, engine, db, fake=fake) as h:
            cmd = await h.send(
                fake.command(
                    "postpulse",
                    {"prompt": f"{SHORT} Fresh bread every morning", "platform": "x", "tone": "casual"},
                )
            )
            message = await finished(h, cmd)
        draft_id, old_content = draft_id_of(message), message["content"]

        async with running(config, engine, db, fake=fake) as h:  # a new process: nothing in memory
            assert len(fake.identifies) == 2
            week_old = fake.backdate(message["id"], 7 * 24 * 3600)
            up = await h.send(fake.click(week_old, f"pp:up:{draft_id}:0"))
            await private_reply(h, up, "Thanks")
            assert [r.rating for r in await rating_rows(h.service.store, draft_id)] == ["up"]  # type: ignore[arg-type]

            regen = await h.send(fake.click(week_old, f"pp:regenerate:{draft_id}"))
            # Meanwhile, a draft whose own token dies mid-stream carries on as a channel message.
            late = await h.send(
                fake.command(
                    "postpulse", {"prompt": f"{SHORT} Fresh bread", "platform": "x", "tone": "casual"}
                )
            )
            await fake.wait_for(lambda: fake.webhook_calls(late["token"], "PATCH"), GENERATION_TIMEOUT)
            fake.expire(late["token"])

            [cb] = await fake.wait_for(lambda: fake.callbacks_for(regen))
            assert cb.type == CALLBACK_DEFERRED, "an old message gets the remix as a new message"
            remixed = await finished(h, regen)
            assert remixed["id"] != week_old["id"] and draft_id_of(remixed) != draft_id
            assert fake.messages[week_old["id"]]["content"] == old_content, "the old message is left alone"
            child = await h.service.store.drafts.get(draft_id_of(remixed), f"discord:{fake.guilds[0].id}")  # type: ignore[union-attr]
            assert child.parent_id == draft_id and child.action == "regenerate"

            channel_id = late["channel_id"]
            carried = await fake.wait_for(
                lambda: [
                    m
                    for m in fake.channel_messages(channel_id)
                    if not fake.message_token.get(m["id"]) and m["components"]
                ],
                GENERATION_TIMEOUT,
            )
            assert INFO_LINE.search(carried[-1]["content"]), carried[-1]["content"]
            posts = [
                c
                for c in fake.calls
                if c.method == "POST" and c.path.endswith(f"/channels/{channel_id}/messages")
            ]
            assert posts and all(c.status == 200 for c in posts)
    finally:
        await fake.close()
