"""Threads and carousels on the real embedded model, and an article from a loopback page server turned
into a thread that states the page's specifics and no others."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import LinksConfig
from bot.drafts import DraftService
from bot.formats import CarouselPlan, Formatted, ThreadPlan, brief_specifics, plan_format, write_parts
from bot.formats.shape import HEADLINE_WORDS, LINE_WORDS
from bot.links import LinkReader
from bot.postprocess import HASHTAG
from bot.quality.factguard import invented
from engine.backends.transformers.async_engine import AsyncEngine
from engine.config import EngineConfig
from tests.bot.test_links import PageSite

pytestmark = pytest.mark.model
# A thread is a few hundred tokens: on a shared 2-core machine under load that can pass the session
# engine's 600 s deadline, which would fail the test for the machine's sake, not the code's.
SLOW_MACHINE_S = 3600.0

BAKERY = (
    "Our bakery opens a second shop at 12 Mill Street on Saturday. Free croissant for the first 50 "
    "visitors. Open 7am to 3pm."
)


def quoted(formatted: Formatted) -> str:
    """The parts as they came out, printed for the closing note (pytest -s)."""
    parts = formatted.parts
    head = f"--- {parts.kind} on {parts.platform} (fallback={parts.fallback}, restored={parts.restored})"
    return f"{head}\nbrief: {formatted.brief.prompt}\n{parts.generated_text}\n"


def assert_states(formatted: Formatted, specifics: list[str]) -> None:
    """Every specific of the brief kept somewhere across the parts; no part states one it did not give."""
    text = formatted.parts.generated_text.replace(" ", "")
    for specific in specifics:
        assert specific.replace(" ", "") in text, (specific, formatted.parts.generated_text)
    sources = [formatted.brief.prompt, formatted.brief.call_to_action]
    for part in formatted.parts.texts:
        body = part.split(" ", 1)[1] if formatted.parts.kind == "thread" else part
        assert not invented(body, sources), part


async def test_a_thread_on_the_real_model(
    engine: AsyncEngine, catalog: Catalog, engine_config: EngineConfig
) -> None:
    service = DraftService(engine, catalog, engine_config)
    brief = Brief(prompt=BAKERY, platform="x", tone="casual", seed=11)
    plan = plan_format("thread", "x", catalog, material_chars=len(BAKERY), count=3)
    assert isinstance(plan, ThreadPlan)
    formatted = await write_parts(service, brief, plan, candidates=1, timeout_s=SLOW_MACHINE_S)
    print(quoted(formatted))
    posts = formatted.parts.posts
    assert len(posts) == 3
    for number, post in enumerate(posts, start=1):
        assert post.text.startswith(f"{number}/3 ") and len(post.text) <= 280
    assert all(not HASHTAG.search(p.text) for p in posts[:-1])
    assert_states(formatted, brief_specifics(brief))


async def test_a_carousel_on_the_real_model(
    engine: AsyncEngine, catalog: Catalog, engine_config: EngineConfig
) -> None:
    service = DraftService(engine, catalog, engine_config)
    brief = Brief(
        prompt=BAKERY, platform="instagram", tone="casual", seed=5, call_to_action="Visit us on Saturday."
    )
    plan = plan_format("carousel", "instagram", catalog, material_chars=len(BAKERY), count=3)
    assert isinstance(plan, CarouselPlan)
    formatted = await write_parts(service, brief, plan, candidates=1, timeout_s=SLOW_MACHINE_S)
    print(quoted(formatted))
    slides = formatted.parts.slides
    assert [s.number for s in slides] == [1, 2, 3]
    for slide in slides:
        assert 1 <= len(slide.headline.split()) <= HEADLINE_WORDS
        assert 1 <= len(slide.text.split()) <= LINE_WORDS
        assert "#" not in slide.headline + slide.text
    caption = formatted.parts.caption or ""
    assert len(caption) <= 2200 and HASHTAG.search(caption)
    assert_states(formatted, brief_specifics(brief))


async def test_an_article_becomes_a_thread_that_states_its_specifics(
    engine: AsyncEngine, catalog: Catalog, engine_config: EngineConfig
) -> None:
    server = TestServer(PageSite().app(), host="127.0.0.1")
    await server.start_server()
    try:
        async with LinkReader(LinksConfig(allow_private=True)) as reader:
            page = await reader.brief(f"http://127.0.0.1:{server.port}/article", max_chars=600)
    finally:
        await server.close()
    brief = Brief(prompt=page.prompt, platform="threads", tone="professional", seed=3)
    plan = plan_format("thread", "threads", catalog, material_chars=len(page.prompt), count=3)
    assert isinstance(plan, ThreadPlan)
    formatted = await write_parts(
        DraftService(engine, catalog, engine_config), brief, plan, candidates=1, timeout_s=SLOW_MACHINE_S
    )
    print(quoted(formatted))
    assert len(formatted.parts.posts) == 3 and all(len(p.text) <= 500 for p in formatted.parts.posts)
    stated = [s for s in page.specifics if s in formatted.parts.generated_text]
    assert {"$149", "March 14"} <= set(stated), formatted.parts.generated_text  # the page's, verbatim
    assert_states(formatted, [])  # and nothing the page did not say
