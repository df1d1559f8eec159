"""Mentions and DMs: answered in the thread, the draft streamed with chat.startStream /
appendStream / stopStream, the same buttons at the end; retried events start nothing new."""

from __future__ import annotations

import json

import pytest

from adapters.slack import blocks
from tests.adapters.slack.support import SHORT, Harness
from tests.fakes.slack_payloads import dm_event, event_payload, mention_event

pytestmark = pytest.mark.model


async def test_a_mention_is_answered_in_its_thread_by_streaming(slack: Harness) -> None:
    event = mention_event(f"tone:casual platform:x {SHORT} spring sale", ts="1700000001.000100")
    body = json.dumps(event_payload(event, event_id="Ev0MENTION1"))
    status, _, seconds = await slack.post_signed(body, content_type="application/json")
    assert status == 200 and seconds < 3.0
    # Slack retries an event it thinks timed out: same event id, X-Slack-Retry-Num.
    retried, _, _ = await slack.post_signed(
        body, content_type="application/json", headers={"X-Slack-Retry-Num": "1"}
    )
    assert retried == 200
    await slack.settle()

    (start,) = slack.fake.calls_to("chat.startStream")
    assert start.args["thread_ts"] == "1700000001.000100" and start.args["channel"] == "C0GENERAL"
    assert start.args["recipient_user_id"] == "U0ALICE"
    assert len(slack.fake.calls_to("chat.stopStream")) == 1
    reply = slack.fake.message("C0GENERAL", start.response["ts"])
    assert reply.thread_ts == "1700000001.000100" and not reply.streaming
    assert reply.streamed_text.strip(), "the draft's text went through the streaming methods"
    ids = {e["action_id"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]}
    assert {blocks.REGENERATE, blocks.SHORTER, blocks.LONGER, blocks.TONE, blocks.PLATFORM} <= ids
    assert {blocks.RATE_UP, blocks.RATE_DOWN} <= ids
    assert slack.rows("SELECT count(*) FROM drafts") == [(1,)]
    assert slack.rows("SELECT front_door, channel_id FROM drafts") == [("slack", "C0GENERAL")]
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_a_dm_asking_for_help_gets_it_in_the_thread(slack: Harness) -> None:
    status, _, _ = await slack.post_signed(
        json.dumps(event_payload(dm_event("help"))), content_type="application/json"
    )
    assert status == 200
    # The bot's own messages and edits are not requests.
    own = {**dm_event("ignored"), "bot_id": "B0BOT"}
    await slack.post_signed(json.dumps(event_payload(own)), content_type="application/json")
    await slack.settle()
    (post,) = slack.fake.calls_to("chat.postMessage")
    assert post.args["channel"] == "D0ALICE" and post.args["thread_ts"]
    assert "How to use PostPulse" in post.args["text"]
    assert slack.rows("SELECT count(*) FROM drafts") == [(0,)]
