"""Every button on the final message, clicked as Slack delivers it (a signed block_actions payload),
with what the store wrote read back from the SQLite file."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.slack import blocks
from tests.adapters.slack.support import SHORT, Harness
from tests.fakes.slack_api import Message

pytestmark = pytest.mark.model


async def final_message(slack: Harness, text: str) -> Message:
    status, _, seconds = await slack.command(text)
    assert status == 200 and seconds < 3.0
    await slack.settle()
    (post,) = slack.fake.calls_to("chat.postMessage")
    return slack.fake.message(post.args["channel"], post.response["ts"])


async def test_every_button_updates_the_message_and_the_store(slack: Harness) -> None:
    message = await final_message(slack, f"variants:2 tone:casual platform:linkedin {SHORT} our new phone")
    (draft_id,) = [r[0] for r in slack.rows("SELECT id FROM drafts")]
    assert {blocks.USE + "_0", blocks.USE + "_1"} <= {
        b["accessory"]["action_id"] for b in message.blocks if b.get("accessory")
    }

    # "Use this" on the second variant: a choice row, and the message marks it.
    status, _, seconds = await slack.click(message, f"{blocks.USE}_1")
    assert status == 200 and seconds < 3.0
    await slack.settle()
    assert slack.rows("SELECT draft_id, variant, user_id FROM choices") == [(draft_id, 1, "U0ALICE")]
    message = slack.fake.message(message.channel, message.ts)
    assert "✅" in json.dumps(message.blocks, ensure_ascii=False)

    # 👍 then 👎 rate the chosen variant; each is stored and acknowledged ephemerally.
    for action_id in (blocks.RATE_UP, blocks.RATE_DOWN):
        status, _, _ = await slack.click(message, action_id)
        assert status == 200
        await slack.settle()
    ratings = slack.rows("SELECT draft_id, variant, rating, user_id FROM ratings ORDER BY id")
    assert ratings == [(draft_id, 1, "up", "U0ALICE"), (draft_id, 1, "down", "U0ALICE")]
    assert [e["text"] for e in slack.fake.ephemerals] == [
        "Thanks — 👍 saved for this draft.",
        "Thanks — 👎 saved for this draft.",
    ]

    # The five remixes, clicked at once on the same message (they batch in the engine): each makes
    # a child draft linked to its parent, and the message ends showing one of them.
    clicks = [
        slack.click(message, blocks.REGENERATE),
        slack.click(message, blocks.SHORTER),
        slack.click(message, blocks.LONGER),
        slack.click(message, blocks.TONE, selected="witty"),
        slack.click(message, blocks.PLATFORM, selected="x"),
    ]
    answers = await asyncio.gather(*clicks)
    assert all(status == 200 and seconds < 3.0 for status, _, seconds in answers)
    await slack.settle()
    assert slack.fake.ephemerals[2:] == [], "no remix failed"
    children = slack.rows("SELECT action, brief FROM drafts WHERE parent_id = ? ORDER BY action", draft_id)
    by_action = {action: json.loads(brief) for action, brief in children}
    assert set(by_action) == {"longer", "platform", "regenerate", "shorter", "tone"}
    parent = json.loads(slack.rows("SELECT brief FROM drafts WHERE id = ?", draft_id)[0][0])
    assert by_action["tone"]["tone"] == "witty" and by_action["tone"]["platform"] == "linkedin"
    assert by_action["platform"]["platform"] == "x" and by_action["platform"]["tone"] == "casual"
    # the parent was unseeded, so its regenerate is too (a seeded one would take vLLM's slow path)
    assert parent.get("seed") is None and by_action["regenerate"].get("seed") is None
    assert by_action["shorter"]["max_length"] <= parent["max_length"] <= by_action["longer"]["max_length"]
    shown = slack.fake.message(message.channel, message.ts)
    shown_ids = {
        blocks.ActionValue.decode(e["value"]).draft_id
        for b in shown.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }
    child_ids = {r[0] for r in slack.rows("SELECT id FROM drafts WHERE parent_id = ?", draft_id)}
    assert len(shown_ids) == 1 and shown_ids <= child_ids, "the message now carries a remix's id"


async def test_a_click_on_a_draft_the_store_does_not_know_says_so(slack: Harness) -> None:
    ghost = Message(
        "C0GENERAL",
        "1.000001",
        blocks=[
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": blocks.SHORTER,
                        "text": {"type": "plain_text", "text": "Shorter"},
                        "value": blocks.ActionValue("0" * 32).encode(),
                    }
                ],
            }
        ],
    )
    status, _, _ = await slack.click(ghost, blocks.SHORTER)
    assert status == 200
    await slack.settle()
    assert [e["text"] for e in slack.fake.ephemerals] == ["that draft no longer exists"]
    assert slack.rows("SELECT count(*) FROM drafts") == [(0,)]
