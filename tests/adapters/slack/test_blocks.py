"""Block Kit rendering and the update budget, without the model: a long draft split under Slack's
limits (checked by the fake Slack's own Block Kit validation, through the real Web API client), and
the budget's pace and priorities."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.streaming import MessageUpdater, UpdateBudget, retry_handlers
from bot.assistant import Origin, StoredDraft
from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats import Parts, Slide
from bot.postprocess import Post
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, validate_blocks


def stored(texts: list[str], platform: str = "linkedin") -> StoredDraft:
    posts = [Post(t, len(t.split()), len(t), [], False) for t in texts]
    return StoredDraft(
        id="d" * 32,
        brief=Brief(prompt="launch", platform=platform, tone="casual", variants=len(texts)),
        variants=posts,
        origin=Origin("slack", "U0ALICE", "T0FAKE", "C0GENERAL"),
        model="SmolLM2-135M-Instruct",
        generation_seconds=2.345,
        created_at=datetime.now(UTC),
        platform_limit=3000,
    )


def long_text() -> str:
    paragraph = " ".join(f"Sentence {i} about our launch & what <it> means." for i in range(20))
    return "\n\n".join(paragraph for _ in range(9))  # about 9,000 characters


def test_split_text_cuts_at_paragraphs_and_keeps_every_word() -> None:
    text = long_text()
    pieces = blocks.split_text(text)
    assert len(pieces) >= 3 and all(len(p) <= blocks.SECTION_LIMIT for p in pieces)
    assert all(p.endswith(".") for p in pieces), "cut at a paragraph or sentence end, never mid-word"
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    unbroken = "x" * 7000
    assert [len(p) for p in blocks.split_text(unbroken)] == [3000, 3000, 1000]


async def test_a_draft_over_3000_characters_is_split_and_slack_accepts_it(catalog: Catalog) -> None:
    draft = stored([long_text()])
    text, message = blocks.final_message(draft, catalog)
    sections = [b for b in message if b["type"] == "section"]
    assert len(sections) >= 4  # the escaped text is longer than the raw one
    validate_blocks(message)
    async with FakeSlack() as fake:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        posted = await client.chat_postMessage(channel="C0GENERAL", text=text, blocks=message)
        assert posted["ok"]
        kept = fake.message("C0GENERAL", posted["ts"])
        joined = "".join(b["text"]["text"] for b in kept.blocks if b["type"] == "section")
        assert "&amp;" in joined and "&lt;it&gt;" in joined, "Slack's control characters are escaped"


def test_variants_each_get_a_section_and_use_this(catalog: Catalog) -> None:
    draft = stored(["First take.", "Second take.", "Third take."])
    _, message = blocks.final_message(draft, catalog)
    validate_blocks(message)
    uses = [b["accessory"] for b in message if b.get("accessory")]
    assert [u["action_id"] for u in uses] == ["pp_use_0", "pp_use_1", "pp_use_2"]
    assert [blocks.ActionValue.decode(u["value"]).variant for u in uses] == [0, 1, 2]
    chosen = blocks.final_message(
        StoredDraft(**{**draft.__dict__, "chosen_variant": 2}),
        catalog,  # type: ignore[arg-type]
    )[1]
    assert [b["accessory"]["text"]["text"] for b in chosen if b.get("accessory")][2] == "✓ Chosen"
    rate = next(e for e in chosen[-1]["elements"] if e["action_id"] == blocks.RATE_UP)
    assert blocks.ActionValue.decode(rate["value"]).variant == 2, "👍 rates the chosen variant"


def test_context_line_and_selects(catalog: Catalog) -> None:
    draft = stored(["Short and sweet."])
    _, message = blocks.final_message(draft, catalog)
    assert message[-2]["elements"][0]["text"] == (
        "LinkedIn · casual · 16/3,000 chars · 3 words · 2.3s · SmolLM2-135M-Instruct"
    )
    tone, platform = (e for e in message[-1]["elements"] if e["type"] == "static_select")
    assert tone["initial_option"]["text"]["text"] == "casual"
    assert len(tone["options"]) == len(catalog.tones)
    assert platform["initial_option"]["text"]["text"] == "LinkedIn"
    assert blocks.ActionValue.decode(platform["options"][0]["value"]).choice in catalog.platforms
    with pytest.raises(ValueError):
        blocks.ActionValue.decode('"just a string"')


async def test_budget_paces_edits_and_serves_finals_first() -> None:
    budget = UpdateBudget(per_minute=60)  # burst 6, then 0.9 a second
    started = time.monotonic()
    for _ in range(6):
        await budget.acquire("T1")
    assert time.monotonic() - started < 0.1, "the burst is free"
    order: list[str] = []

    async def take(name: str, final: bool) -> None:
        await budget.acquire("T1", final=final)
        order.append(name)

    waiting = [asyncio.create_task(take(f"progress{i}", False)) for i in range(2)]
    await asyncio.sleep(0.05)
    waiting.append(asyncio.create_task(take("final", True)))
    await asyncio.wait_for(asyncio.gather(*waiting), 10)
    assert order[0] == "final", order
    assert time.monotonic() - started >= 2 / 0.9, "past the burst, edits come at the refill rate"
    other = time.monotonic()
    await budget.acquire("T2")
    assert time.monotonic() - other < 0.1, "each workspace has its own budget"


async def test_a_429_pauses_the_budget() -> None:
    budget = UpdateBudget(per_minute=600)
    await budget.acquire("T1")
    budget.pause(1.0)
    started = time.monotonic()
    await budget.acquire("T1")
    assert time.monotonic() - started >= 0.95


async def test_the_final_lands_even_when_the_message_is_gone() -> None:
    """A deleted (or uneditable) message: the final view is posted as a new message instead."""
    async with FakeSlack() as fake:
        budget = UpdateBudget(per_minute=50)
        client = AsyncWebClient(
            token=BOT_TOKEN, base_url=fake.api_url, retry_handlers=retry_handlers(budget, 2)
        )
        posted = await client.chat_postMessage(channel="C0GENERAL", text="Drafting…")
        updater = MessageUpdater(client, budget, workspace="T0FAKE", channel="C0GENERAL", ts=posted["ts"])
        updater.show("Drafting…", [{"type": "section", "text": {"type": "mrkdwn", "text": "Half a"}}])
        await fake.wait_for(lambda: fake.calls_to("chat.update"))
        await client.chat_delete(channel="C0GENERAL", ts=posted["ts"])
        fake.fail_next("chat.update", retry_after=1)  # and Slack is busy for a moment, too
        final = [{"type": "section", "text": {"type": "mrkdwn", "text": "The whole post."}}]
        new_ts = await asyncio.wait_for(updater.finish("The whole post.", final), 30)
        assert new_ts != posted["ts"]
        assert fake.message("C0GENERAL", new_ts).blocks == final
        assert [c.error for c in fake.calls if c.method == "chat.update"][-1] == "message_not_found"


def test_a_carousel_is_a_section_per_slide_then_the_caption(catalog: Catalog) -> None:
    slides = tuple(Slide(i, f"Headline {i} <here>", f"Line {i} & more.") for i in (1, 2, 3))
    parts = Parts("carousel", "instagram", slides=slides, caption="A caption. #Bakery " + "x" * 3100)
    draft = replace(stored([parts.generated_text], "instagram"), parts=parts, platform_limit=2200)
    text, message = blocks.final_message(draft, catalog)
    validate_blocks(message)
    sections = [b["text"]["text"] for b in message if b["type"] == "section"]
    assert sections[:3] == [f"*{i}. Headline {i} &lt;here&gt;*\nLine {i} &amp; more." for i in (1, 2, 3)]
    assert sections[3].startswith("*Caption*\nA caption. #Bakery") and len(sections) == 5  # 3,000 a section
    context = message[-2]["elements"][0]["text"]
    assert context.startswith("Instagram · casual · 3 slides, caption 3,119/2,200 chars · ")
    assert text == blocks.escape(parts.generated_text[:3000])
