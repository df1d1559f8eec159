"""Socket Mode: with SLACK_APP_TOKEN the app opens a websocket (apps.connections.open), and the same
slash command arrives as an envelope; the ack goes back over the socket at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.slack import blocks
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.fakes.slack_api import command_payload
from tests.slack.support import SHORT, running

pytestmark = pytest.mark.model


async def test_slash_command_over_socket_mode(
    slack_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(slack_config, engine, tmp_path, socket_mode=True) as slack:
        async with slack.http.post(slack.events_url, data="x") as resp:
            assert resp.status == 404, "in Socket Mode nothing listens for HTTP deliveries"
        payload = command_payload(f"tone:witty platform:x {SHORT} spring sale")
        started = time.perf_counter()
        ack = await slack.fake.send_envelope("slash_commands", payload)
        assert time.perf_counter() - started < 3.0
        assert ack["envelope_id"] and not ack.get("payload"), "an empty ack, as over HTTP"
        assert [c.method for c in slack.fake.calls[:1]] == ["apps.connections.open"]
        await slack.settle()
        (post,) = slack.fake.calls_to("chat.postMessage")
        assert post.args["text"] == "Drafting a witty X (Twitter) post for <@U0ALICE>…"
        final = slack.fake.message("C0GENERAL", post.response["ts"])
        assert blocks.RATE_UP in {e["action_id"] for e in final.blocks[-1]["elements"]}
        assert slack.rows("SELECT count(*) FROM drafts") == [(1,)]

        # Slack redelivers an envelope it thinks was lost: acknowledged again, nothing new starts.
        again = await slack.fake.send_envelope("slash_commands", payload, retry_attempt=1)
        assert again["envelope_id"] != ack["envelope_id"]
        await slack.settle()
        assert len(slack.fake.calls_to("chat.postMessage")) == 1
        assert slack.rows("SELECT count(*) FROM drafts") == [(1,)]
