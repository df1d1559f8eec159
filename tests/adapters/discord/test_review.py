"""The review round-trip on the real discord.py client against the fake Discord: a draft, Edit by its
author (a modal), Send for review (the review channel, the reviewer role mentioned), a non-member of
that role refused only to them, a reviewer's Edit and Request changes (modals), the author told in
the draft's channel and sending again from there, Approve."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord.review import NOT_A_REVIEWER
from bot.config import AppConfig, RolesConfig
from bot.records import Origin
from bot.review_types import ReviewStatus
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import (
    SHORT,
    Harness,
    custom_ids,
    draft_id_of,
    has_buttons,
    running,
    tuned,
)
from tests.fakes.discord_api import (
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    FLAG_EPHEMERAL,
    FakeDiscord,
    Guild,
    Json,
)
from tests.fakes.discord_payloads import CALLBACK_MODAL, snowflake

pytestmark = pytest.mark.model

GENERATION_TIMEOUT = 600.0
AUTHOR, TEAMMATE, REVIEWER = "2200000000000000001", "2200000000000000003", "2200000000000000004"
ROLE = snowflake()


def texts(fake: FakeDiscord, interaction: Json) -> list[str]:
    """What an interaction's answers said privately (follow-ups and edited responses)."""
    return [m["content"] for m in fake.messages_for(interaction, ephemeral=True)]


async def status(h: Harness, guild: Guild, draft_id: str) -> ReviewStatus:
    origin = Origin("discord", AUTHOR, guild.id, guild.channel_ids[0])
    return await h.service.assistant.reviews.status(origin, draft_id)


async def answered(h: Harness, interaction: Json, kind: int) -> None:
    [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(interaction))
    assert callback.type == kind, callback


async def test_review_round_trip(app_config: AppConfig, engine: AsyncEngine, tmp_path: Path) -> None:
    general, review_channel = snowflake(), snowflake()
    guild = Guild(snowflake(), "Test Guild", [general, review_channel], roles={ROLE: "Reviewer"})
    fake = await FakeDiscord(heartbeat_interval_ms=250, guilds=[guild]).start()
    config = tuned(app_config).model_copy(update={"roles": RolesConfig(discord_reviewer_role="Reviewer")})
    try:
        async with running(config, engine, tmp_path / "drafts.db", fake=fake) as h:
            setting = await h.send(
                fake.command("postpulse", {"prompt": f"defaults review:<#{review_channel}>"})
            )
            await fake.wait_for(lambda: any("review: " in t for t in texts(fake, setting)))

            cmd = await h.send(
                fake.command(
                    "postpulse",
                    {"prompt": f"{SHORT} A bike shop's spring sale", "platform": "x", "tone": "casual"},
                )
            )
            draft_message = await fake.wait_for(
                lambda: has_buttons(fake.original(cmd)) and fake.original(cmd), GENERATION_TIMEOUT
            )
            draft_id = draft_id_of(draft_message)
            assert {f"pp:send:{draft_id}:0", f"pp:edit:{draft_id}:0"} <= set(custom_ids(draft_message))

            # The author edits her own draft: a modal pre-filled with the model's text.
            edit = await h.send(fake.click(draft_message, f"pp:edit:{draft_id}:0"))
            await answered(h, edit, CALLBACK_MODAL)
            modal = fake.modal_for(edit)
            (text_input,) = [c for row in modal["components"] for c in row["components"]]
            assert text_input["value"] == (await status(h, guild, draft_id)).latest(0).text
            saved = await h.send(
                fake.submit_modal(edit, {text_input["custom_id"]: "Spring sale: 20% off bikes."})
            )
            await fake.wait_for(lambda: any("revision 1" in t for t in texts(fake, saved)))
            assert (await status(h, guild, draft_id)).latest(0).author_id == AUTHOR

            # Send for review: the review channel, the role mentioned (and allowed to ping), three buttons.
            send = await h.send(fake.click(draft_message, f"pp:send:{draft_id}:0"))
            await fake.wait_for(
                lambda: any(f"Sent for review in <#{review_channel}>" in t for t in texts(fake, send))
            )
            (review,) = fake.channel_messages(review_channel)
            assert (
                f"Review requested** by <@{AUTHOR}>" in review["content"]
                and f"<@&{ROLE}>" in review["content"]
            )
            assert "Spring sale: 20% off bikes." in review["content"]
            assert [str(r) for r in review["allowed_mentions"]["roles"]] == [ROLE]
            assert custom_ids(review) == [f"pp:{a}:{draft_id}:0" for a in ("approve", "changes", "revise")]
            assert (await status(h, guild, draft_id)).state == "in_review"

            # A teammate without the role: told privately, nothing changes.
            before = dict(fake.messages[review["id"]])
            nope = await h.send(fake.click(review, f"pp:approve:{draft_id}:0", user_id=TEAMMATE))
            await answered(h, nope, CALLBACK_MESSAGE)
            [cb] = fake.callbacks_for(nope)
            assert cb.data["content"] == "⚠️ " + NOT_A_REVIEWER and cb.data["flags"] & FLAG_EPHEMERAL
            assert (await status(h, guild, draft_id)).state == "in_review"
            assert fake.messages[review["id"]] == before

            # The reviewer edits on the review message: revision 2, the message shows it.
            revise = await h.send(
                fake.click(review, f"pp:revise:{draft_id}:0", user_id=REVIEWER, roles=[ROLE])
            )
            await answered(h, revise, CALLBACK_MODAL)
            (field,) = [c for row in fake.modal_for(revise)["components"] for c in row["components"]]
            edited = "Spring sale: 20% off every bike this weekend."
            await h.send(fake.submit_modal(revise, {field["custom_id"]: edited}))
            await fake.wait_for(lambda: edited in fake.messages[review["id"]]["content"])
            latest = (await status(h, guild, draft_id)).latest(0)
            assert (latest.number, latest.author_id) == (2, REVIEWER)

            # Request changes with a note: the message says so; the author is told in her channel.
            ask = await h.send(fake.click(review, f"pp:changes:{draft_id}:0", user_id=REVIEWER, roles=[ROLE]))
            await answered(h, ask, CALLBACK_MODAL)
            (note,) = [c for row in fake.modal_for(ask)["components"] for c in row["components"]]
            submitted = await h.send(fake.submit_modal(ask, {note["custom_id"]: "Name the shop"}))
            await answered(h, submitted, CALLBACK_DEFERRED_UPDATE)
            await fake.wait_for(lambda: "Changes requested" in fake.messages[review["id"]]["content"])
            assert custom_ids(fake.messages[review["id"]]) == [f"pp:revise:{draft_id}:0"]
            notice = await fake.wait_for(
                lambda: next(
                    (m for m in fake.channel_messages(general) if "asked for changes" in m["content"]), None
                )
            )
            assert (
                notice["content"].startswith(f"<@{AUTHOR}> ↩️ <@{REVIEWER}> asked for changes")
                and "Name the shop" in notice["content"]
            )
            assert custom_ids(notice) == [f"pp:edit:{draft_id}:0", f"pp:send:{draft_id}:0"]
            after = await status(h, guild, draft_id)
            assert after.state == "changes_requested" and after.history[-1].note == "Name the shop"

            # Sent again from the notice; the reviewer approves the new review message.
            again = await h.send(fake.click(notice, f"pp:send:{draft_id}:0"))
            await fake.wait_for(lambda: any("Sent for review" in t for t in texts(fake, again)))
            second = fake.channel_messages(review_channel)[-1]
            assert second["id"] != review["id"]
            approve = await h.send(
                fake.click(second, f"pp:approve:{draft_id}:0", user_id=REVIEWER, roles=[ROLE])
            )
            await fake.wait_for(lambda: "Approved" in fake.messages[second["id"]]["content"])
            final = await status(h, guild, draft_id)
            assert final.state == "approved" and final.approved_text == edited
            assert not fake.messages[second["id"]]["components"]
            approved = await fake.wait_for(
                lambda: next(
                    (m for m in fake.channel_messages(general) if "approved your draft" in m["content"]), None
                )
            )
            assert [str(u) for u in approved["allowed_mentions"]["users"]] == [AUTHOR] and edited in approved[
                "content"
            ]
            [cb] = fake.callbacks_for(approve)
            assert cb.type == CALLBACK_DEFERRED_UPDATE
    finally:
        await fake.close()
