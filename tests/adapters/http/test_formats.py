"""Threads and carousels over real loopback HTTP on the real model: POST /generate-text with `format`
and `posts` answers with `parts` (and a carousel's `caption`) and `generated_text` joined from them;
the stored draft (GET /v1/drafts/{id}) has the same parts; a bad combination is a 422 naming what is
allowed, before any generation."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats import Parts
from tests.adapters.http.support import Server
from tests.bot.formats.support import BAKERY, assert_carousel, assert_kept, quoted

pytestmark = pytest.mark.model


async def _post(client: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def test_a_carousel_comes_back_as_slides_a_caption_and_the_joined_text(
    server: Server, client: aiohttp.ClientSession, catalog: Catalog
) -> None:
    body = {
        "prompt": BAKERY,
        "platform": "instagram",
        "tone": "casual",
        "format": "carousel",
        "posts": 3,
        "seed": 5,
        "call_to_action": "Visit us on Saturday.",
    }
    status, made = await _post(client, server.url + "/generate-text", body)
    assert status == 200, made
    assert made["format"] == "carousel" and len(made["parts"]) == 3
    assert all(set(slide) == {"headline", "text"} for slide in made["parts"])
    joined = [f"{s['headline']}\n{s['text']}" for s in made["parts"]] + [made["caption"]]
    assert made["generated_text"] == "\n\n".join(joined)
    parts = Parts.from_stored(
        {"kind": "carousel", "parts": made["parts"], "caption": made["caption"]}, "instagram"
    )
    brief = Brief(prompt=BAKERY, platform="instagram", call_to_action="Visit us on Saturday.")
    print(quoted(brief, parts))
    assert_carousel(parts, 3, catalog)
    assert_kept(brief, parts)

    async with client.get(f"{server.url}/v1/drafts/{made['draft_id']}") as resp:
        assert resp.status == 200
        stored = await resp.json()
    assert (stored["format"], stored["parts"], stored["caption"]) == (
        "carousel",
        made["parts"],
        made["caption"],
    )
    assert stored["brief"]["format"] == "carousel" and stored["variants"][0]["text"] == made["generated_text"]


@pytest.mark.parametrize(
    ("fields", "param", "words"),
    [
        ({"format": "carousel", "platform": "x"}, "format", "A carousel is for Instagram or LinkedIn, not X"),
        ({"format": "thread", "platform": "x", "posts": 12}, "posts", "posts must be a number from 2 to 10"),
        ({"format": "thread", "platform": "x", "posts": 1}, "posts", "posts must be a number from 2 to 10"),
        ({"format": "post", "posts": 3}, "posts", "posts:N goes with format:thread or format:carousel"),
        ({"format": "slides"}, "format", "Unknown format 'slides'. Valid formats: post, thread, carousel."),
    ],
)
async def test_a_bad_format_is_a_422_naming_what_is_allowed(
    server: Server, client: aiohttp.ClientSession, fields: dict[str, Any], param: str, words: str
) -> None:
    status, body = await _post(client, server.url + "/generate-text", {"prompt": BAKERY, **fields})
    assert status == 422, body
    assert body["error"]["param"] == param and body["error"]["message"].startswith(words), body
