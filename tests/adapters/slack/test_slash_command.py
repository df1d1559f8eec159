"""`/postpulse` over HTTP mode: the real bolt app on the real sidecar, the real model, a fake Slack."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from pathlib import Path

import pytest

from adapters.slack import blocks
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig
from tests.adapters.slack.support import FORM, SHORT, Harness, running, tuned
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes.slack_payloads import command_body

pytestmark = pytest.mark.model

EVERY_ACTION = {
    blocks.REGENERATE,
    blocks.SHORTER,
    blocks.LONGER,
    blocks.TONE,
    blocks.PLATFORM,
    blocks.RATE_UP,
    blocks.RATE_DOWN,
    blocks.SEND_FOR_REVIEW,
    blocks.EDIT,
}


def action_ids(message_blocks: list[dict]) -> set[str]:
    ids = set()
    for block in message_blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            ids.add(element["action_id"])
        if block.get("accessory"):
            ids.add(block["accessory"]["action_id"])
    return ids


async def test_signed_command_acks_fast_then_streams_into_one_message(slack: Harness) -> None:
    status, body, seconds = await slack.command(
        f"tone:casual platform:linkedin {SHORT} Launch of our new phone"
    )
    assert status == 200 and body == ""
    assert seconds < 3.0
    await slack.settle()

    posts = slack.fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].args["channel"] == "C0GENERAL"
    assert posts[0].args["text"] == "Drafting a casual LinkedIn post for <@U0ALICE>…"
    ts = posts[0].response["ts"]
    updates = [c for c in slack.fake.calls_to("chat.update") if c.args["ts"] == ts]
    assert updates, "the draft message is edited as the model writes"
    assert all(c.team == TEAM_ID for c in updates)

    final = slack.fake.message("C0GENERAL", ts)
    assert action_ids(final.blocks) == EVERY_ACTION
    (draft_id,) = [r[0] for r in slack.rows("SELECT id FROM drafts")]
    (text,) = [r[0] for r in slack.rows("SELECT text FROM variants WHERE draft_id = ?", draft_id)]
    assert final.blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": blocks.escape(text)}}
    context = final.blocks[-2]["elements"][0]["text"]
    assert context.startswith("LinkedIn · casual · ") and " words · " in context
    for element in final.blocks[-1]["elements"]:
        value = element.get("value") or element["options"][0]["value"]
        assert blocks.ActionValue.decode(value).draft_id == draft_id
    # Progress edits are throttled (about one a second), each one before the final.
    gaps = [b.at - a.at for a, b in itertools.pairwise(updates)]
    assert all(gap >= 0.9 for gap in gaps[:-1]), gaps


async def test_bad_signature_and_stale_timestamp_get_401_and_start_nothing(slack: Harness) -> None:
    body = command_body(f"{SHORT} forged launch post")
    forged, _, _ = await slack.post_signed(body, secret="not-the-signing-secret")
    stale, _, _ = await slack.post_signed(body, timestamp=int(time.time()) - 10 * 60)
    async with slack.http.post(slack.events_url, data=body, headers={"Content-Type": FORM}) as resp:
        unsigned = resp.status
    assert (forged, stale, unsigned) == (401, 401, 401)
    await slack.settle()
    assert slack.fake.calls_to("chat.postMessage") == []
    assert slack.rows("SELECT count(*) FROM drafts") == [(0,)]
    assert slack.rows("SELECT count(*) FROM deliveries") == [(0,)]


async def test_a_retried_delivery_makes_one_draft(slack: Harness) -> None:
    body = command_body(f"{SHORT} spring sale", trigger_id="trig.same-one")
    first = await slack.post_signed(body)
    again = await slack.post_signed(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert first[0] == again[0] == 200
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    assert slack.rows("SELECT count(*) FROM drafts") == [(1,)]
    assert slack.fake.ephemerals == [], "a retry is acknowledged and otherwise ignored"


async def test_a_429_on_chat_update_is_waited_out_and_the_final_lands(slack: Harness) -> None:
    slack.fake.fail_next("chat.update", times=2, retry_after=1)
    await slack.command(f"{SHORT} a bakery's new sourdough")
    await slack.settle()
    limited = slack.fake.rate_limited
    assert len(limited) == 2
    after = [c for c in slack.fake.calls_to("chat.update") if c.at > limited[-1].at]
    assert after and after[0].at - limited[-1].at >= 1.0, "the retry waits for Retry-After"
    (ts,) = [c.response["ts"] for c in slack.fake.calls_to("chat.postMessage")]
    final = slack.fake.message("C0GENERAL", ts)
    assert blocks.REGENERATE in action_ids(final.blocks)


async def test_help_lists_and_typos_answer_ephemerally(slack: Harness) -> None:
    for text in ("", "help", "tones", "tone:casul a post"):
        status, _, seconds = await slack.command(text)
        assert status == 200 and seconds < 3.0
    await slack.settle()
    texts = [e["text"] for e in slack.fake.ephemerals]
    assert len(texts) == 4 and all(e["user"] == "U0ALICE" for e in slack.fake.ephemerals)
    assert "casual" in texts[2]
    assert "did you mean casual" in texts[3]
    assert slack.fake.calls_to("chat.postMessage") == []
    assert slack.rows("SELECT count(*) FROM drafts") == [(0,)]


async def test_engine_overloaded_is_an_ephemeral_busy_message(
    slack_config: AppConfig, loaded_model: LoadedModel, tmp_path: Path
) -> None:
    full = AsyncEngine(loaded_model, EngineConfig(max_queue=0))  # no room: every request is refused
    try:
        async with running(slack_config, full, tmp_path) as slack:
            status, _, seconds = await slack.command(f"{SHORT} summer sale")
            assert status == 200 and seconds < 3.0
            await slack.settle()
            (notice,) = slack.fake.ephemerals
            assert notice["text"].startswith("busy — try again in ")
            assert notice["channel"] == "C0GENERAL" and notice["user"] == "U0ALICE"
            # The placeholder went away: nothing half-done is left in the channel.
            assert slack.fake.messages == {}
            assert slack.rows("SELECT count(*) FROM drafts") == [(0,)]
    finally:
        await full.shutdown()


async def test_ten_concurrent_commands_share_the_workspace_update_budget(
    slack_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    budget = 20  # per minute; the fake Slack answers 429 past 20 chat.update calls in any 60 s
    config = tuned(slack_config, update_budget_per_minute=budget)
    async with running(config, engine, tmp_path, update_limit_per_minute=budget) as slack:
        answers = await asyncio.gather(
            *(slack.command(f"{SHORT} post number {i} for our shop", user_id=f"U0USER{i}") for i in range(10))
        )
        assert all(status == 200 and seconds < 3.0 for status, _, seconds in answers)
        await slack.settle()
        assert slack.fake.rate_limited == [], "the adapter stays inside the budget on its own"
        assert slack.fake.max_in_window("chat.update") <= budget
        posts = slack.fake.calls_to("chat.postMessage")
        assert len(posts) == 10
        assert slack.fake.ephemerals == []
        for post in posts:  # every draft's final message landed, whatever was coalesced on the way
            final = slack.fake.message("C0GENERAL", post.response["ts"])
            assert blocks.REGENERATE in action_ids(final.blocks)
        assert slack.rows("SELECT count(*) FROM drafts") == [(10,)]


async def test_secrets_never_reach_the_log(slack: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await slack.command("help")
    await slack.post_signed(command_body("help"), secret="wrong-secret")
    await slack.settle()
    assert len(slack.fake.ephemerals) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "chat.postEphemeral" in logged, "debug logging was on"
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in logged
    assert BOT_TOKEN not in repr(slack.runtime.settings) and SIGNING_SECRET not in repr(
        slack.runtime.settings
    )
