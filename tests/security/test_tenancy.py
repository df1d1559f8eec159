"""Tenancy probes (issue 17): two API keys, two Slack workspaces and two Discord guilds acting on each
other's drafts through the real front doors (aiohttp over loopback, bolt against the fake Slack
Web API, discord.py against the fake Discord). Another tenant's draft must answer exactly like an
id that never existed, and leave nothing behind: no rating, no pick, no remix, no rewritten message.
What the store wrote is read from the SQLite file itself."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import blocks
from bot.config import AppConfig
from bot.records import Origin, StoredDraft
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord import support as discord_support
from tests.adapters.http.support import Server, serving
from tests.adapters.http.support import tuned as http_tuned
from tests.adapters.slack import support as slack_support
from tests.fakes.discord_api import FakeDiscord, Json
from tests.fakes.discord_payloads import Guild, snowflake
from tests.fakes.slack_api import Message
from tests.fakes.slack_payloads import actions_body, actions_payload, command_payload

pytestmark = pytest.mark.model

SHORT = 12  # tokens: the real tiny model writes every draft here, briefly
UNKNOWN = "0" * 32
KEYS = {"POSTPULSE_API_KEYS": "key-alpha,key-bravo"}
ALPHA, BRAVO = {"X-API-Key": "key-alpha"}, {"Authorization": "Bearer key-bravo"}
# Every draft route, as a method, a path suffix and a body.
DRAFT_ROUTES = [
    ("GET", "", None),
    ("POST", "/rating", {"rating": "up"}),
    ("POST", "/choice", {"variant": 0}),
    ("POST", "/remix", {"action": "shorter"}),
    ("POST", "/remix", {"action": "tone", "value": "witty"}),
    ("POST", "/review", {"variant": 0}),
    ("POST", "/edit", {"variant": 0, "text": "Key B's words now."}),
    ("POST", "/approve", {"variant": 0}),
    ("POST", "/changes", {"note": "key B wants changes"}),
]
GONE = "that draft no longer exists"  # bot.messages' words for an unknown draft, on every chat door


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def verdicts(db: Path, draft_id: str) -> list[tuple[Any, ...]]:
    """Ratings, picks and remixes hanging off a draft."""
    return (
        rows(db, "SELECT 'rating', user_id FROM ratings WHERE draft_id = ?", draft_id)
        + rows(db, "SELECT 'choice', user_id FROM choices WHERE draft_id = ?", draft_id)
        + rows(db, "SELECT 'remix', id FROM drafts WHERE parent_id = ?", draft_id)
    )


async def call(
    client: aiohttp.ClientSession, method: str, url: str, body: Any, headers: dict[str, str]
) -> tuple[int, str]:
    async with client.request(method, url, json=body, headers=headers) as resp:
        return resp.status, await resp.text()


# -- HTTP: two API keys ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def keyed_server(config: AppConfig, engine: AsyncEngine, db: Path) -> AsyncIterator[Server]:
    config = http_tuned(config, http={"rate_limit_per_minute": 0}, engine={"request_timeout_s": 600})
    config = config.model_copy(
        update={"store": config.store.model_copy(update={"path": str(db), "url": None})}
    )
    async with serving(config, engine, env=KEYS) as server:
        yield server


async def test_one_api_key_cannot_read_rate_pick_or_remix_anothers_draft(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    db = tmp_path / "drafts.db"
    async with keyed_server(app_config, engine, db) as server, aiohttp.ClientSession() as client:
        status, made = await call(
            client,
            "POST",
            server.url + "/generate-text",
            {"prompt": "Bakery opening", "max_length": SHORT},
            ALPHA,
        )
        assert status == 200, made
        draft_id = json.loads(made)["draft_id"]
        for method, suffix, body in DRAFT_ROUTES:
            unknown = await call(client, method, f"{server.url}/v1/drafts/{UNKNOWN}{suffix}", body, BRAVO)
            foreign = await call(client, method, f"{server.url}/v1/drafts/{draft_id}{suffix}", body, BRAVO)
            assert (foreign[0], foreign[1].replace(draft_id, UNKNOWN)) == unknown, (method, suffix, foreign)
            assert unknown[0] == 404 and "no such draft" in unknown[1], unknown
        assert verdicts(db, draft_id) == [], "key B left nothing on key A's draft"
        assert rows(db, "SELECT count(*) FROM review_events") == [(0,)], "nor on its review"
        assert rows(db, "SELECT count(*) FROM drafts") == [(1,)]
        # The owner still can, so the 404s above are about ownership, not a broken route.
        status, mine = await call(client, "GET", f"{server.url}/v1/drafts/{draft_id}", None, ALPHA)
        assert status == 200 and json.loads(mine)["id"] == draft_id
        status, _ = await call(
            client, "POST", f"{server.url}/v1/drafts/{draft_id}/rating", {"rating": "up"}, ALPHA
        )
        assert status == 200 and len(verdicts(db, draft_id)) == 1


# -- Slack: the installation's workspace and another one ---------------------------------------


async def own_message(slack: slack_support.Harness) -> tuple[Message, str]:
    """A final draft message in the installation's workspace, and its draft id."""
    status, _, _ = await slack.command(f"variants:2 {slack_support.SHORT} our new phone")
    assert status == 200
    await slack.settle()
    (post,) = slack.fake.calls_to("chat.postMessage")
    message = slack.fake.message(post.args["channel"], post.response["ts"])
    (draft_id,) = [r[0] for r in slack.rows("SELECT id FROM drafts")]
    return message, draft_id


async def stored(slack: slack_support.Harness, origin: Origin, prompt: str) -> StoredDraft:
    job = await slack.service.assistant.draft(origin, {"prompt": prompt, "max_length": SHORT})
    return await job.result()


async def test_slack_buttons_carrying_another_tenants_draft_id_say_it_does_not_exist(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with slack_support.running(slack_support.tuned(app_config), engine, tmp_path) as slack:
        message, own_id = await own_message(slack)
        own_blocks = json.dumps(message.blocks)  # the fake edits `message` in place
        # Drafts of other tenants in the same database: workspace T0OTHER (another installation of
        # the app sharing the store), a Discord guild, and the key-less HTTP API of this sidecar.
        victims = [
            await stored(slack, Origin("slack", "U0BOB", "T0OTHER", "C0OTHER"), "Other team's launch"),
            await stored(slack, Origin("discord", "4400000000000000001", "81234567890", "55"), "Guild news"),
        ]
        async with slack.http.post(
            slack.url + "/generate-text", json={"prompt": "Local sale", "max_length": SHORT}
        ) as resp:
            assert resp.status == 200
            local_id = (await resp.json())["draft_id"]
        ids = [v.id for v in victims] + [local_id]
        for victim in ids:
            # The attacker's own message, its button values edited to carry the victim's id.
            forged = Message(
                message.channel,
                message.ts,
                blocks=json.loads(own_blocks.replace(own_id, victim)),
            )
            for action_id, selected in (
                (blocks.RATE_UP, None),
                (f"{blocks.USE}_0", None),
                (blocks.SHORTER, None),
                (blocks.TONE, "witty"),
            ):
                status, _, _ = await slack.click(forged, action_id, selected=selected)
                assert status == 200
                await slack.settle()
        assert [e["text"] for e in slack.fake.ephemerals] == [GONE] * 4 * len(ids)
        for victim in ids:
            assert verdicts(slack.db, victim) == [], victim
        shown = slack.fake.message(message.channel, message.ts)
        assert own_id in json.dumps(shown.blocks) and not any(v in json.dumps(shown.blocks) for v in ids)
        # The key-less HTTP API (the local `default` tenant) cannot read the workspace's draft either.
        async with slack.http.get(f"{slack.url}/v1/drafts/{own_id}") as resp:
            assert resp.status == 404 and "no such draft" in await resp.text()


async def test_a_signed_payload_for_another_workspace_is_refused(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with slack_support.running(slack_support.tuned(app_config), engine, tmp_path) as slack:
        message, own_id = await own_message(slack)
        posted, updated = (
            len(slack.fake.calls_to("chat.postMessage")),
            len(slack.fake.calls_to("chat.update")),
        )
        command = {**command_payload(f"{slack_support.SHORT} a sale"), "team_id": "T0OTHER"}
        status, body, _ = await slack.post_signed(urlencode(command))
        assert status == 200 and body == "PostPulse is not installed in this Slack workspace."
        for action_id in (blocks.RATE_UP, f"{blocks.USE}_1", blocks.SHORTER):
            payload = actions_payload(message, action_id, user_id="U0MALLORY")
            payload["team"] = {"id": "T0OTHER", "domain": "other"}
            payload["user"]["team_id"] = "T0OTHER"
            status, body, _ = await slack.post_signed(actions_body(payload))
            assert status == 200 and body == "PostPulse is not installed in this Slack workspace."
        await slack.settle()
        assert len(slack.fake.calls_to("chat.postMessage")) == posted, "nothing was posted"
        assert slack.fake.ephemerals == [] and len(slack.fake.calls_to("chat.update")) == updated
        assert slack.rows("SELECT count(*) FROM drafts") == [(1,)]
        assert verdicts(slack.db, own_id) == []


# -- Discord: two guilds -----------------------------------------------------------------------


async def private_text(h: discord_support.Harness, interaction: Json) -> str:
    texts = await h.fake.wait_for(
        lambda: [m["content"] for m in h.fake.messages_for(interaction, ephemeral=True) if m["content"]], 600
    )
    return str(texts[-1])


async def test_discord_buttons_from_another_guild_say_the_draft_does_not_exist(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    alpha, bravo = Guild(snowflake(), "Alpha", [snowflake()]), Guild(snowflake(), "Bravo", [snowflake()])
    fake = await FakeDiscord(heartbeat_interval_ms=250, guilds=[alpha, bravo]).start()
    db = tmp_path / "drafts.db"
    try:
        async with discord_support.running(discord_support.tuned(app_config), engine, db, fake=fake) as h:
            cmd = await h.send(
                fake.command(
                    "postpulse", {"prompt": f"{discord_support.SHORT} Alpha's bake sale"}, guild=alpha
                )
            )
            message = await fake.wait_for(
                lambda: discord_support.has_buttons(fake.original(cmd)) and fake.original(cmd), 600
            )
            draft_id = discord_support.draft_id_of(message)
            # A member of Bravo clicks the same custom ids (copied into a message in Bravo's channel).
            forged = {**message, "guild_id": bravo.id, "channel_id": bravo.channel_ids[0]}
            for custom_id, values in (
                (f"pp:up:{draft_id}:0", None),
                (f"pp:use:{draft_id}:0", None),
                (f"pp:shorter:{draft_id}", None),
                (f"pp:tone:{draft_id}", ["witty"]),
            ):
                click = await h.send(
                    fake.click(forged, custom_id, values=values, user_id="3300000000000000003")
                )
                assert GONE in await private_text(h, click), custom_id
            assert verdicts(db, draft_id) == []
            assert fake.original(cmd)["content"] == message["content"], "Alpha's message is untouched"
            # Alpha's own member still can.
            up = await h.send(fake.click(message, f"pp:up:{draft_id}:0"))
            assert "Thanks" in await private_text(h, up)
            assert len(verdicts(db, draft_id)) == 1
    finally:
        await fake.close()
