"""`url` and several platforms over POST /generate-text: the runtime's LinkReader reads a loopback page
(tests/fakes/pages.py) into the brief, the real model drafts from it, and the siblings land in the
real store under one group id. Link failures answer 422 in plain words, naming the `url` field."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig, LinksConfig
from bot.links import LinkReader
from bot.links.extract import guard_specifics
from bot.quality.factguard import invented
from bot.records import DEFAULT_TENANT
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server, serving
from tests.fakes.pages import MapResolver, Site

pytestmark = pytest.mark.model

SLOW = aiohttp.ClientTimeout(total=600)
# The default policy (no private addresses) with one exception: the loopback page server's address,
# so the first hop of a redirect is allowed and the hop it leads to is not.
POLICY = LinksConfig(allow_networks=["127.0.0.1/32"], timeout_s=1.0)
INTERNAL = "http://internal.test:PORT/article"  # a name that resolves to a private address
NAMES = {"news.test": ["127.0.0.1"], "internal.test": ["10.0.0.5"]}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site() -> AsyncIterator[Site]:
    async with Site() as pages:
        yield pages


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def linked(http_config: AppConfig, engine: AsyncEngine, catalog: Catalog) -> AsyncIterator[Server]:
    """The sidecar with a LinkReader of this policy, whose resolver knows only the test names."""
    config = http_config.model_copy(update={"links": POLICY})
    async with (
        LinkReader(POLICY, resolver=MapResolver(NAMES)) as reader,
        serving(config, engine, catalog=catalog, env={}, links=reader) as srv,
    ):
        yield srv


async def post(client: aiohttp.ClientSession, server: Server, body: dict[str, object]) -> tuple[int, dict]:
    # A shared 2-core box drafting two platforms at once can pass the session client's 120 s.
    async with client.post(server.url + "/generate-text", json=body, timeout=SLOW) as resp:
        return resp.status, await resp.json()


async def test_an_article_gives_a_draft_per_platform_stating_only_the_pages_specifics(
    linked: Server, client: aiohttp.ClientSession, site: Site
) -> None:
    request = {
        "prompt": "Share this",
        "url": f"{site.base}/article",
        "platform": ["x", "linkedin"],
        "tone": "professional",
        "max_length": 24,
    }
    status, body = await post(client, linked, request)
    assert status == 200, body
    assert [d["platform"] for d in body["drafts"]] == ["x", "linkedin"]
    siblings = await linked.service.store.drafts.group(body["group_id"], DEFAULT_TENANT)
    assert [s.id for s in siblings] == [d["draft_id"] for d in body["drafts"]]
    for shown, stored in zip(body["drafts"], siblings, strict=True):
        assert stored.group_id == body["group_id"]
        assert shown["character_count"] == len(shown["generated_text"]) <= shown["platform_limit"]
        assert shown["platform_limit"] == {"x": 280, "linkedin": 3000}[shown["platform"]]
        # The brief is the page's: its title, its points, its specifics, and the person's angle.
        prompt = stored.brief.prompt
        assert prompt.startswith("Share this article: Acme launches the Widget 3\nKey points:\n")
        assert prompt.endswith("\nAngle: Share this")
        assert "Subscribe" not in prompt and "Cookie" not in prompt
        text = shown["generated_text"]
        stated, given = guard_specifics(text), guard_specifics(prompt)
        assert {"$149", "March 14", "30%", "90", "40"} <= set(given)
        assert stated, f"the draft states none of the page's specifics: {text!r}"
        assert set(stated) <= set(given), f"{text!r} states specifics the page does not give"
        assert invented(text, [prompt]) == []  # the fact guard's own verdict agrees


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (f"http://news.test:PORT/redirect?to={INTERNAL}", "private or internal address"),
        ("/huge", "The page is larger than 5 MB"),
        ("/slow", "The page took longer than 1 s to arrive"),
        ("/report.pdf", "The link is a PDF, not a web page"),
        ("/login", "The page has no article text"),
    ],
)
async def test_a_link_that_cannot_be_read_is_a_422_in_plain_words(
    linked: Server, client: aiohttp.ClientSession, site: Site, path: str, words: str
) -> None:
    url = path.replace("PORT", str(site.pages.port)) if path.startswith("http") else site.base + path
    status, body = await post(client, linked, {"prompt": "Share this", "url": url, "platform": "x"})
    assert status == 422, body
    assert body["error"]["param"] == "url"
    assert body["error"]["message"].startswith(words) or words in body["error"]["message"]
    assert "Traceback" not in body["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"url": "ftp://example.com/file"}, "url needs a full web address starting with http"),
        ({"url": "https://example.com/a", "platform": ["x", "myspace"]}, "myspace"),
        ({"platform": "x,linkedin,instagram,facebook,threads,bluesky"}, "At most 5 platforms"),
        ({"url": ""}, "url needs a full web address"),  # an empty address is not "no link"
        ({"platform": ["x"] * 6}, "At most 5 platforms at once (got 6)"),  # repeats count, as maxItems
    ],
)
async def test_a_bad_link_or_platform_list_is_named(
    linked: Server, client: aiohttp.ClientSession, fields: dict[str, object], words: str
) -> None:
    status, body = await post(client, linked, {"prompt": "Share this", **fields})
    assert status == 422, body
    assert words in body["error"]["message"]
