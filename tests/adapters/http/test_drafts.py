"""The draft routes over real loopback HTTP: /generate-text stores its draft (draft_id), then
GET /v1/drafts/{id}, rating, choice and remix, with the store rows checked and the same error
conventions as every other route (404 unknown draft, 422 naming the field and what is allowed)."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import httpx
import pytest
from httpx_sse import aconnect_sse

from bot.records import DEFAULT_TENANT
from tests.adapters.http.support import SHORT, Server
from tests.bot.store.support import rating_rows

pytestmark = pytest.mark.model

DRAFT_ID = re.compile(r"^[0-9a-f]{32}$")
UNKNOWN = "0" * 32


async def _post(client: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def _get(client: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with client.get(url) as resp:
        return resp.status, await resp.json()


async def _new_draft(server: Server, client: aiohttp.ClientSession, **brief: Any) -> dict[str, Any]:
    body = {"prompt": "Grand opening of our bakery", "platform": "x", "max_length": SHORT, **brief}
    status, draft = await _post(client, server.url + "/generate-text", body)
    assert status == 200, draft
    return draft


async def test_generate_text_returns_a_stored_draft(server: Server, client: aiohttp.ClientSession) -> None:
    made = await _new_draft(server, client, variants=2, tone="casual")
    assert {"generated_text", "generation_time", "word_count"} <= set(made)  # the spec's shape stays
    assert DRAFT_ID.match(made["draft_id"]) and "parent_id" not in made
    status, draft = await _get(client, f"{server.url}/v1/drafts/{made['draft_id']}")
    assert status == 200
    assert draft["id"] == made["draft_id"] and draft["front_door"] == "http"
    assert draft["brief"]["prompt"] == "Grand opening of our bakery" and draft["brief"]["tone"] == "casual"
    assert [v["text"] for v in draft["variants"]] == [v["text"] for v in made["variants"]]
    assert [v["rating"] for v in draft["variants"]] == [None, None]
    assert draft["chosen_variant"] is None and draft["parent_id"] is None
    assert draft["platform_limit"] == 280 and draft["model"] == made["model"]
    assert "user_id" not in json.dumps(draft)  # who asked stays in the store


async def test_rating_and_choice_are_stored(server: Server, client: aiohttp.ClientSession) -> None:
    made = await _new_draft(server, client, variants=2)
    base = f"{server.url}/v1/drafts/{made['draft_id']}"
    status, rated = await _post(client, base + "/rating", {"rating": "up", "variant": 1})
    assert status == 200 and [v["rating"] for v in rated["variants"]] == [None, "up"]
    status, rated = await _post(client, base + "/rating", {"rating": "down"})  # variant defaults to 0
    assert status == 200 and [v["rating"] for v in rated["variants"]] == ["down", "up"]
    status, chosen = await _post(client, base + "/choice", {"variant": 1})
    assert status == 200 and chosen["chosen_variant"] == 1
    store = server.service.store
    assert store is not None
    rows = await rating_rows(store, made["draft_id"])  # acknowledged = committed
    assert [(r.variant, r.rating, r.front_door) for r in rows] == [(1, "up", "http"), (0, "down", "http")]
    assert rows[0].user_id == "addr:127.0.0.1"  # auth off: the client address is the user
    assert (await store.drafts.get(made["draft_id"], DEFAULT_TENANT)).chosen_variant == 1  # keys off


async def test_remix_makes_a_linked_draft(server: Server, client: aiohttp.ClientSession) -> None:
    made = await _new_draft(server, client, tone="casual")
    base = f"{server.url}/v1/drafts/{made['draft_id']}/remix"
    status, shorter = await _post(client, base, {"action": "shorter"})
    assert status == 200, shorter
    assert shorter["parent_id"] == made["draft_id"] and shorter["action"] == "shorter"
    assert DRAFT_ID.match(shorter["draft_id"]) and shorter["draft_id"] != made["draft_id"]
    status, toned = await _post(client, base, {"action": "tone", "value": "Funny"})
    assert status == 200, toned
    status, stored = await _get(client, f"{server.url}/v1/drafts/{toned['draft_id']}")
    assert stored["brief"]["tone"] == "witty" and stored["parent_id"] == made["draft_id"]
    assert stored["action"] == "tone"
    status, moved = await _post(client, base, {"action": "platform", "value": "linkedin"})
    assert status == 200 and moved["platform_limit"] == 3000


async def test_remix_streams_over_sse(server: Server) -> None:
    async with httpx.AsyncClient(timeout=120) as http:
        made = (
            await http.post(server.url + "/generate-text", json={"prompt": "Yoga class", "max_length": SHORT})
        ).json()
        url = f"{server.url}/v1/drafts/{made['draft_id']}/remix"
        async with aconnect_sse(http, "POST", url, json={"action": "regenerate", "stream": True}) as source:
            assert source.response.status_code == 200
            events = [event async for event in source.aiter_sse()]
    assert events[-1].event == "done" and {e.event for e in events[:-1]} <= {"delta"}
    done = json.loads(events[-1].data)
    assert done["parent_id"] == made["draft_id"] and done["action"] == "regenerate"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("POST", "/rating", {"rating": "up"}),
        ("POST", "/choice", {"variant": 0}),
        ("POST", "/remix", {"action": "shorter"}),
    ],
)
async def test_unknown_draft_is_404(
    server: Server, client: aiohttp.ClientSession, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    async with client.request(method, f"{server.url}/v1/drafts/{UNKNOWN}{suffix}", json=body) as resp:
        assert resp.status == 404
        error = (await resp.json())["error"]
    assert error["type"] == "not_found_error" and error["param"] == "id" and UNKNOWN in error["message"]


@pytest.mark.parametrize(
    ("suffix", "body", "param", "words"),
    [
        ("/rating", {"rating": "meh"}, "rating", ["'up'", "'down'"]),
        ("/rating", {"rating": "up", "variant": 5}, "variant", ["between 0 and 0"]),
        ("/rating", {"rating": "up", "stars": 5}, "stars", ["Allowed fields"]),
        ("/choice", {}, "variant", ["Missing"]),
        ("/remix", {"action": "louder"}, "action", ["regenerate", "shorter"]),
        ("/remix", {"action": "tone"}, "value", ["needs a value", "casual"]),
        ("/remix", {"action": "tone", "value": "casul"}, "tone", ["Did you mean 'casual'"]),
        ("/remix", {"action": "platform", "value": "myspace"}, "platform", ["linkedin"]),
    ],
)
async def test_invalid_fields_are_422_with_what_is_allowed(
    server: Server,
    client: aiohttp.ClientSession,
    suffix: str,
    body: dict[str, Any],
    param: str,
    words: list[str],
) -> None:
    made = await _new_draft(server, client)
    status, answer = await _post(client, f"{server.url}/v1/drafts/{made['draft_id']}{suffix}", body)
    assert status == 422, answer
    assert answer["error"]["param"] == param and answer["error"]["type"] == "invalid_request_error"
    for word in words:
        assert word in answer["error"]["message"]
