"""A thread over Slack's HTTP mode on the real model: the final message has one section per post, in
order, each the stored post as written (so each is copied on its own), then the context line and the
buttons; a format the platform does not take is answered privately, naming the platforms that do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.slack import blocks
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.formats import Parts
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.slack.support import Harness, running
from tests.bot.formats.support import BAKERY, assert_thread, one_candidate
from tests.fakes.slack_api import validate_blocks

pytestmark = pytest.mark.model


async def test_a_thread_is_a_section_per_post_in_order(
    slack_config: AppConfig, engine: AsyncEngine, catalog: Catalog, tmp_path: Path
) -> None:
    async with running(one_candidate(slack_config), engine, tmp_path) as slack:
        status, _, _ = await slack.command(f"format:thread posts:2 platform:x tone:casual {BAKERY}")
        assert status == 200
        await slack.settle()
        [posted] = slack.fake.calls_to("chat.postMessage")
        final = slack.fake.message("C0GENERAL", posted.response["ts"])
        [(raw,)] = slack.rows("SELECT parts FROM drafts")
    assert posted.args["text"] == "Drafting a casual X (Twitter) thread for <@U0ALICE>…"
    validate_blocks(final.blocks)
    stored = json.loads(raw)
    assert stored["kind"] == "thread"
    assert_thread(Parts.from_stored(stored, "x"), 2, catalog)
    sections = [b["text"]["text"] for b in final.blocks if b["type"] == "section"]
    assert sections == [blocks.escape(text) for text in stored["parts"]]  # a section per post, in order
    context = final.blocks[-2]["elements"][0]["text"]
    assert context.startswith("X (Twitter) · casual · 2 posts, longest ") and "/280 chars" in context
    assert final.blocks[-1]["type"] == "actions"


async def test_a_carousel_on_x_is_refused_privately_with_the_platforms_that_take_one(slack: Harness) -> None:
    status, _, _ = await slack.command("format:carousel platform:x Our second shop opens Saturday")
    assert status == 200
    await slack.settle()
    assert not slack.fake.calls_to("chat.postMessage") and slack.rows("SELECT id FROM drafts") == []
    [notice] = [e["text"] for e in slack.fake.ephemerals]
    assert "A carousel is for Instagram or LinkedIn, not X (Twitter)" in notice
