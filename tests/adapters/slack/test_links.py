"""`/postpulse url:… platform:x,linkedin` through the real bolt app on the sidecar, the real model and the
fake Slack: the page (a loopback server, tests/fakes/pages.py) read after the ack, one message per
platform with its own buttons, both drafts stored as siblings; a link that is no web page is
explained to the person alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.slack import blocks
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.slack.support import SHORT, Harness, running
from tests.fakes.pages import Site

pytestmark = pytest.mark.model


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[Site]:
    async with Site() as pages:
        yield pages


@pytest_asyncio.fixture(loop_scope="session")
async def slack_links(slack_config: AppConfig, engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    """As POSTPULSE_FETCH_ALLOW_PRIVATE=1 sets it: the loopback page server is reachable. One candidate
    per draft: the flow is under test here (tests/adapters/http/test_links.py checks the specifics)."""
    links = slack_config.links.model_copy(update={"allow_private": True})
    quality = slack_config.quality.model_copy(update={"best_of": {"transformers": 1}, "max_candidates": 1})
    config = slack_config.model_copy(update={"links": links, "quality": quality})
    async with running(config, engine, tmp_path) as harness:
        yield harness


async def test_a_link_for_two_platforms_posts_two_sibling_drafts_each_with_its_buttons(
    slack_links: Harness, site: Site
) -> None:
    status, body, seconds = await slack_links.command(f"url:{site.base}/article platform:x,linkedin {SHORT}")
    assert status == 200 and body == ""
    assert seconds < 3.0  # acknowledged before the page is read
    await slack_links.settle()

    assert slack_links.fake.ephemerals == []
    posts = slack_links.fake.calls_to("chat.postMessage")
    assert [p.args["text"] for p in posts] == [
        "Drafting a professional X (Twitter) post for <@U0ALICE>…",
        "Drafting a professional LinkedIn post for <@U0ALICE>…",
    ]
    rows = slack_links.rows("SELECT id, group_id, platform_limit FROM drafts ORDER BY created_at")
    assert len(rows) == 2 and rows[0][1] is not None and rows[0][1] == rows[1][1]
    for post, (draft_id, _, limit) in zip(posts, rows, strict=True):
        final = slack_links.fake.message("C0GENERAL", post.response["ts"])
        buttons = [e for b in final.blocks if b["type"] == "actions" for e in b["elements"]]
        values = [blocks.ActionValue.decode(e.get("value") or e["options"][0]["value"]) for e in buttons]
        assert values and {v.draft_id for v in values} == {draft_id}  # each message remixes its own draft
        (text,) = [r[0] for r in slack_links.rows("SELECT text FROM variants WHERE draft_id = ?", draft_id)]
        assert len(text) <= limit
        brief = slack_links.rows("SELECT brief FROM drafts WHERE id = ?", draft_id)[0][0]
        assert "Acme launches the Widget 3" in brief and "$149" in brief  # written from the page


async def test_a_pdf_link_is_explained_privately_and_writes_nothing(slack_links: Harness, site: Site) -> None:
    await slack_links.command(f"url:{site.base}/report.pdf {SHORT} share our report")
    await slack_links.settle()
    assert [e["text"] for e in slack_links.fake.ephemerals] == [
        "The link is a PDF, not a web page: give the address of an HTML page."
    ]
    assert slack_links.fake.calls_to("chat.postMessage") == []
    assert slack_links.rows("SELECT count(*) FROM drafts") == [(0,)]
