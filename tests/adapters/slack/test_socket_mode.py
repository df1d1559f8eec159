"""Socket Mode: with SLACK_APP_TOKEN the app opens a websocket (apps.connections.open), and the same
slash command arrives as an envelope; the ack goes back over the socket at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.errors import SetupError
from adapters.runtime import build_runtime
from adapters.slack import blocks, start
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.slack.support import SHORT, running
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes.slack_payloads import command_payload

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


async def test_start_without_the_sidecar_needs_socket_mode(slack_config: AppConfig, tmp_path: Path) -> None:
    """`adapters.slack.start` (no HTTP sidecar): Socket Mode only; help works before any engine exists."""
    config = slack_config.model_copy(
        update={"store": slack_config.store.model_copy(update={"path": str(tmp_path / "drafts.db")})}
    )
    never = asyncio.Event()

    async def never_loads() -> AsyncEngine:
        await never.wait()
        raise AssertionError("unreachable")

    async with (
        build_runtime(config, {}, front_doors=False, loader=never_loads) as runtime,
        FakeSlack() as fake,
    ):
        service = runtime.service
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        with pytest.raises(SetupError, match="SLACK_APP_TOKEN"):
            await start(service, config, env)
        stop = await start(service, config, {**env, "SLACK_APP_TOKEN": APP_TOKEN})
        try:
            await fake.send_envelope("slash_commands", command_payload("help"))
            await fake.wait_for(lambda: fake.ephemerals, timeout=30)
            assert fake.ephemerals[0]["text"].startswith("How to use PostPulse")
            await fake.send_envelope("slash_commands", command_payload(f"{SHORT} a post"))
            await fake.wait_for(lambda: len(fake.ephemerals) == 2, timeout=30)
            assert fake.ephemerals[1]["text"] == "still starting up — try again in a few seconds"
        finally:
            await stop()
