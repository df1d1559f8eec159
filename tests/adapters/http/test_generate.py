"""POST /generate-text: the original spec's request and response shape, and its SSE stream."""

from __future__ import annotations

import json
import re

import aiohttp
import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.adapters.http.support import SHORT, Server

pytestmark = pytest.mark.model

# The spec's example request (seed/000), with max_length cut from 150 to keep the suite fast.
SPEC_REQUEST = {
    "prompt": "Create a social media post about our new smartphone release",
    "platform": "instagram",
    "tone": "professional",
    "max_length": SHORT,
    "industry": "technology",
}
SPEC_KEYS = {"generated_text", "generation_time", "word_count"}
GENERATION_TIME = re.compile(r"^\d+\.\ds$")


def check_spec_shape(body: dict[str, object]) -> None:
    assert set(body) >= SPEC_KEYS
    assert isinstance(body["generated_text"], str) and body["generated_text"].strip()
    assert isinstance(body["generation_time"], str) and GENERATION_TIME.match(body["generation_time"])
    assert isinstance(body["word_count"], int)
    assert body["word_count"] == len(body["generated_text"].split())


async def test_spec_example_returns_spec_shape(server: Server, client: aiohttp.ClientSession) -> None:
    async with client.post(server.url + "/generate-text", json=SPEC_REQUEST) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
    check_spec_shape(body)
    # The extras a spec client ignores.
    assert body["platform_limit"] == 2200
    assert body["character_count"] == len(body["generated_text"]) <= 2200
    assert body["model"] == "SmolLM2-135M-Instruct"
    assert len(body["variants"]) == 1 and body["variants"][0]["text"] == body["generated_text"]


async def test_variants_and_request_id(server: Server, client: aiohttp.ClientSession) -> None:
    request = {
        "prompt": "Our bakery opens a second shop",
        "platform": "x",
        "max_length": 8,
        "variants": 2,
        "seed": 3,
    }
    headers = {"X-Request-ID": "test-variants-1"}
    async with client.post(server.url + "/generate-text", json=request, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    assert resp.headers["X-Request-ID"] == "test-variants-1" == body["request_id"]
    assert len(body["variants"]) == 2
    assert all(v["character_count"] <= 280 for v in body["variants"])


async def test_sse_stream_parsed_by_sse_client(server: Server) -> None:
    """`"stream": true`: delta events, then one `done` event carrying the full spec response."""
    events = []
    async with (
        httpx.AsyncClient(timeout=120) as http,
        aconnect_sse(
            http, "POST", server.url + "/generate-text", json={**SPEC_REQUEST, "stream": True}
        ) as source,
    ):
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for event in source.aiter_sse():
            events.append(event)
    kinds = [e.event for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"} and len(kinds) >= 2
    streamed = "".join(json.loads(e.data)["text"] for e in events[:-1])
    assert streamed.strip()
    check_spec_shape(json.loads(events[-1].data))


async def test_accept_header_selects_sse(server: Server) -> None:
    request = {"prompt": "A new coffee blend", "max_length": 6}
    headers = {"Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=120) as http,
        aconnect_sse(http, "POST", server.url + "/generate-text", json=request, headers=headers) as source,
    ):
        kinds = [event.event async for event in source.aiter_sse()]
    assert kinds[-1] == "done"


async def test_catalog_lists_tones_platforms_and_limits(
    server: Server, client: aiohttp.ClientSession
) -> None:
    async with client.get(server.url + "/v1/catalog") as resp:
        assert resp.status == 200
        body = await resp.json()
    platforms = {p["name"]: p for p in body["platforms"]}
    assert platforms["x"]["char_limit"] == 280 and "twitter" in platforms["x"]["aliases"]
    assert "professional" in {t["name"] for t in body["tones"]}
    assert "technology" in {i["name"] for i in body["industries"]}
    assert body["limits"]["max_length"] >= 1


async def test_metrics_after_traffic(server: Server, client: aiohttp.ClientSession) -> None:
    async with client.post(
        server.url + "/generate-text", json={"prompt": "Spring sale", "max_length": 4}
    ) as resp:
        assert resp.status == 200
    async with client.get(server.url + "/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert re.search(
        r'postpulse_http_requests_total\{method="POST",route="/generate-text",status="200"\} [1-9]', text
    )
    for name in (
        "postpulse_time_to_first_token_seconds_count",
        "postpulse_http_request_duration_seconds_count",
        "postpulse_generated_tokens_total",
        "postpulse_queue_depth",
        "postpulse_running_batch",
    ):
        assert name in text
    tokens = re.search(r'^postpulse_generated_tokens_total\{backend="transformers"\} ([\d.e+]+)$', text, re.M)
    assert tokens and float(tokens.group(1)) >= 4
