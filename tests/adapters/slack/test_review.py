"""The review round-trip on the real bolt stack over loopback, against the fake Slack: a draft, Edit
by its author (a modal), Send for review (the review channel, the reviewer group mentioned), a
non-reviewer's Approve refused only to them, a reviewer's Edit and Request changes (modals), the
author told and sending again from the DM, Approve, and approving twice refused in plain words.

With POSTPULSE_ROUNDTRIP_OUT set, the test also writes what each person saw (Block Kit JSON) there,
for the round-trip write-up.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.slack import blocks, review_blocks
from bot.config import AppConfig, RolesConfig
from bot.records import Origin
from bot.review_types import ReviewStatus
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.slack.support import SHORT, Harness, running
from tests.fakes.slack_api import TEAM_ID, Message
from tests.fakes.slack_payloads import actions_body, view_submission_payload

pytestmark = pytest.mark.model

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"  # author, reviewer (in the group), teammate
REVIEW_CHANNEL, GROUP = "C0REVIEW", "S0REVIEW"


@pytest_asyncio.fixture(loop_scope="session")
async def slack(slack_config: AppConfig, engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    config = slack_config.model_copy(update={"roles": RolesConfig(slack_reviewer_group=GROUP)})
    async with running(config, engine, tmp_path) as harness:
        harness.fake.channel_names["marketing-review"] = REVIEW_CHANNEL
        harness.fake.usergroups[GROUP] = [BOB]
        yield harness


async def status(slack: Harness, draft_id: str) -> ReviewStatus:
    return await slack.service.assistant.reviews.status(
        Origin("slack", ALICE, TEAM_ID, "C0GENERAL"), draft_id
    )


def action_ids(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def posted_in(slack: Harness, channel: str) -> list[Message]:
    return [m for (c, _), m in slack.fake.messages.items() if c == channel]


def ephemerals_to(slack: Harness, user: str) -> list[str]:
    return [e["text"] for e in slack.fake.ephemerals if e["user"] == user]


async def click(slack: Harness, message: Message, action_id: str, user: str) -> None:
    status_, _, seconds = await slack.click(
        slack.fake.message(message.channel, message.ts), action_id, user_id=user
    )
    assert status_ == 200 and seconds < 3.0
    await slack.settle()


async def submit(slack: Harness, values: dict[tuple[str, str], str], user: str) -> dict[str, Any]:
    """Submit the modal opened last, as `user`; returns the view that was opened."""
    view = list(slack.fake.views.values())[-1]
    status_, _, seconds = await slack.post_signed(
        actions_body(view_submission_payload(view, values, user_id=user))
    )
    assert status_ == 200 and seconds < 3.0
    await slack.settle()
    return view


async def test_review_round_trip(slack: Harness) -> None:
    seen: dict[str, Any] = {}
    fake = slack.fake
    status_, _, _ = await slack.command("defaults review:#marketing-review")
    assert status_ == 200
    await slack.settle()
    assert "review: #marketing-review" in ephemerals_to(slack, ALICE)[-1]

    await slack.command(f"tone:casual platform:linkedin {SHORT} our new phone")
    await slack.settle()
    (draft_message,) = posted_in(slack, "C0GENERAL")
    assert {blocks.SEND_FOR_REVIEW, blocks.EDIT} <= set(action_ids(draft_message))
    (draft_id,) = [r[0] for r in slack.rows("SELECT id FROM drafts")]
    seen["draft message"] = draft_message.blocks
    assert not fake.calls_to("users.info"), "a plain draft looks no roles up"

    # The author edits her own draft: a modal pre-filled with the model's text; saving is revision 1.
    await click(slack, draft_message, blocks.EDIT, ALICE)
    view = await submit(
        slack, {(review_blocks.TEXT_BLOCK, review_blocks.TEXT_INPUT): "Our new phone is here."}, ALICE
    )
    model_text = (await status(slack, draft_id)).latest(0)
    assert view["callback_id"] == review_blocks.EDIT_MODAL
    seen["edit modal (opened by Alice)"] = view
    assert (
        view["blocks"][0]["element"]["initial_value"] == (await status(slack, draft_id)).revision(0, 0).text
    )
    assert (model_text.number, model_text.text, model_text.author_id) == (1, "Our new phone is here.", ALICE)
    assert ephemerals_to(slack, ALICE)[-1] == "Saved your edit as revision 1 of this draft."

    # Send for review: the review channel gets the draft, the group is mentioned, three buttons.
    await click(slack, draft_message, blocks.SEND_FOR_REVIEW, ALICE)
    (review,) = posted_in(slack, REVIEW_CHANNEL)
    assert action_ids(review) == [review_blocks.APPROVE, review_blocks.CHANGES, review_blocks.REVISE]
    head = review.blocks[0]["elements"][0]["text"]
    assert f"Review requested by <@{ALICE}>" in head and f"<!subteam^{GROUP}>" in head
    assert "Our new phone is here." in json.dumps(review.blocks)
    assert ephemerals_to(slack, ALICE)[-1] == f"Sent for review in <#{REVIEW_CHANNEL}>."
    assert (await status(slack, draft_id)).state == "in_review"
    seen["review message"] = review.blocks

    # Carol is no reviewer: Approve tells only her so, and nothing changes.
    before = (
        fake.message(review.channel, review.ts).edits,
        list(fake.message(review.channel, review.ts).blocks),
    )
    await click(slack, review, review_blocks.APPROVE, CAROL)
    assert ephemerals_to(slack, CAROL) == [
        "Only reviewers can approve drafts or request changes — ask one of your team's reviewers."
    ]
    assert fake.ephemerals[-1]["channel"] == REVIEW_CHANNEL
    assert (await status(slack, draft_id)).state == "in_review"
    shown = fake.message(review.channel, review.ts)
    assert (shown.edits, shown.blocks) == before
    seen["refusal to Carol"] = fake.ephemerals[-1]["blocks"]

    # Bob (in the reviewer group) edits on the review message: revision 2, the message shows it.
    await click(slack, review, review_blocks.REVISE, BOB)
    edited = "Our new phone is here — from $499."
    await submit(slack, {(review_blocks.TEXT_BLOCK, review_blocks.TEXT_INPUT): edited}, BOB)
    latest = (await status(slack, draft_id)).latest(0)
    assert (latest.number, latest.author_id, latest.text) == (2, BOB, edited)
    shown = fake.message(review.channel, review.ts)
    assert "from $499" in json.dumps(shown.blocks) and f"revision 2 by <@{BOB}>" in json.dumps(shown.blocks)
    assert ephemerals_to(slack, BOB)[-1] == "Saved your edit as revision 2 of this draft."

    # Request changes: a modal with a note; the message says so; Alice hears it in a DM.
    await click(slack, review, review_blocks.CHANGES, BOB)
    view = await submit(
        slack, {(review_blocks.NOTE_BLOCK, review_blocks.NOTE_INPUT): "Lead with the price"}, BOB
    )
    assert view["callback_id"] == review_blocks.CHANGES_MODAL
    seen["request-changes modal (opened by Bob)"] = view
    after = await status(slack, draft_id)
    assert after.state == "changes_requested" and after.history[-1].note == "Lead with the price"
    shown = fake.message(review.channel, review.ts)
    assert action_ids(shown) == [review_blocks.REVISE]
    assert f"Changes requested* by <@{BOB}>: “Lead with the price”" in json.dumps(
        shown.blocks, ensure_ascii=False
    )
    (notice,) = posted_in(slack, ALICE)
    assert f"<@{BOB}> asked for changes to your draft: “Lead with the price”" in notice.text
    assert action_ids(notice) == [blocks.EDIT, blocks.SEND_FOR_REVIEW]
    seen["changes requested: review message"] = shown.blocks
    seen["changes requested: Alice's DM"] = notice.blocks

    # Alice sends it again from her DM: it goes to the review channel, not the DM.
    await click(slack, notice, blocks.SEND_FOR_REVIEW, ALICE)
    second = [m for m in posted_in(slack, REVIEW_CHANNEL) if m.ts != review.ts]
    assert len(second) == 1 and action_ids(second[0])[0] == review_blocks.APPROVE
    stale = fake.message(second[0].channel, second[0].ts)
    stale = Message(stale.channel, stale.ts, stale.text, list(stale.blocks))

    # Bob approves: the approved text is his revision; the message and Alice both say so.
    await click(slack, second[0], review_blocks.APPROVE, BOB)
    final = await status(slack, draft_id)
    assert final.state == "approved" and final.approved_text == edited and final.approved is not None
    assert final.approved.number == 2
    shown = fake.message(second[0].channel, second[0].ts)
    assert action_ids(shown) == [] and f"Approved* by <@{BOB}> (revision 2)" in json.dumps(shown.blocks)
    dms = posted_in(slack, ALICE)
    assert len(dms) == 2 and f"<@{BOB}> approved your draft — ready to post (revision 2)" in dms[-1].text
    assert edited.replace("—", "—") in json.dumps(dms[-1].blocks, ensure_ascii=False)
    seen["approved: review message"] = shown.blocks
    seen["approved: Alice's DM"] = dms[-1].blocks

    # Approving twice (an old copy of the message) is refused in plain words; nothing changes.
    status_, _, _ = await slack.click(stale, review_blocks.APPROVE, user_id=BOB)
    assert status_ == 200
    await slack.settle()
    assert "approved" in ephemerals_to(slack, BOB)[-1].lower()
    assert (await status(slack, draft_id)).history == final.history
    assert [e.action for e in final.history] == ["edit", "review", "edit", "changes", "review", "approve"]

    out = os.environ.get("POSTPULSE_ROUNDTRIP_OUT")
    if out:
        seen["ephemerals"] = [{"to": e["user"], "text": e["text"]} for e in fake.ephemerals]
        Path(out).write_text(json.dumps(seen, indent=2, ensure_ascii=False))
