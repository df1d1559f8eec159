"""PostPulse on a real vLLM CPU server (the session's managed child): the sidecar and DraftService end to
end, streaming, stop strings, seeded repeats, and a client that leaves aborting the upstream request."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.drafts import Draft, DraftDelta, DraftService
from engine.backends.vllm import VllmEngine
from engine.interface import generate
from engine.types import GenerationRequest, SamplingParams, TextDelta
from tests.adapters.http.support import Server
from tests.engine.backends.vllm.conftest import needs_vllm

pytestmark = [pytest.mark.vllm, needs_vllm]

BRIEF = {
    "prompt": "Announce our new oat-milk latte",
    "platform": "instagram",
    "tone": "casual",
    "industry": "food_beverage",
    "max_length": 24,
}


async def vllm_metric(engine: VllmEngine, name: str, having: str = "") -> float:
    """A counter from vLLM's own /metrics, summed over the series whose labels contain `having`."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{engine.port}/metrics") as resp,
    ):
        text = await resp.text()
    series = re.findall(rf"^{re.escape(name)}(\{{[^}}]*\}})? ([\d.e+]+)$", text, re.M)
    return sum(float(value) for labels, value in series if having in labels)


async def test_the_sidecar_writes_a_draft_on_vllm(vllm_server: Server) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.post(vllm_server.url + "/generate-text", json=BRIEF) as resp:
            assert resp.status == 200, await resp.text()
            body = await resp.json()
        async with client.get(vllm_server.url + "/health") as resp:
            health = await resp.json()
            assert resp.status == 200
        async with client.get(vllm_server.url + "/metrics") as resp:
            metrics = await resp.text()
    assert body["generated_text"].strip() and body["model"] == "SmolLM2-135M-Instruct"
    assert body["word_count"] == len(body["generated_text"].split())
    assert health["backend"] == "vllm" and health["state"] == "ready" and health["status"] == "ready"
    assert re.search(r'^postpulse_generated_tokens_total\{backend="vllm"\} [1-9]', metrics, re.M)
    assert 'postpulse_engine_info{backend="vllm",model="SmolLM2-135M-Instruct",state="ready"} 1.0' in metrics


async def test_the_sidecar_streams_deltas_then_the_finished_draft(vllm_server: Server) -> None:
    deltas: list[str] = []
    done: dict[str, object] = {}
    async with (
        aiohttp.ClientSession() as client,
        client.post(vllm_server.url + "/generate-text", json={**BRIEF, "stream": True}) as resp,
    ):
        assert resp.status == 200 and resp.content_type == "text/event-stream"
        event = ""
        async for raw in resp.content:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                if event == "delta":
                    deltas.append(data["text"])
                elif event == "done":
                    done = data
    assert len(deltas) > 3  # token by token, not one block at the end
    assert done["generated_text"] and "".join(deltas).strip()


async def test_draft_service_on_vllm_post_processes_like_any_backend(
    vllm_engine: VllmEngine, catalog: Catalog, app_config
) -> None:
    drafts = DraftService(vllm_engine, catalog, app_config.engine)
    brief = drafts.brief({**BRIEF, "platform": "x", "variants": 2, "seed": 11, "temperature": 0.8})
    events = [e async for e in drafts.stream(brief)]
    draft = events[-1]
    assert isinstance(draft, Draft) and len(draft.variants) == 2
    assert any(isinstance(e, DraftDelta) for e in events)  # streamed while vLLM wrote
    assert all(len(v.text) <= 280 for v in draft.variants)  # X's limit, applied by PostPulse
    assert draft.completion_tokens > 0 and draft.prompt_tokens > 100  # PostPulse's own system prompt


async def seeded_variants(drafts: DraftService, raw: dict[str, object]) -> list[str]:
    return [v.text for v in (await drafts.create(drafts.brief(raw))).variants]


async def test_a_seeded_draft_repeats_exactly_in_any_cache_state(
    vllm_engine: VllmEngine, catalog: Catalog, app_config
) -> None:
    """The same seed gives the same draft whether the server's prefix cache holds its prompt or not:
    the first time, after the same prompt went through unseeded (so it is cached), after an unrelated
    prompt. Each runs alone on the child, as engine/backends/seeded.py says it must (a request running
    beside it changes vLLM's batch, and can change the draft)."""
    drafts = DraftService(vllm_engine, catalog, app_config.engine)
    raw = {**BRIEF, "prompt": "Announce our new oat-milk latte for the autumn menu", "temperature": 0.9}
    seeded = {**raw, "seed": 42}
    first = await seeded_variants(drafts, seeded)  # this prompt's first time on the server
    await drafts.create(drafts.brief(raw))  # the same prompt unseeded: now in the prefix cache
    cached = await seeded_variants(drafts, seeded)
    await drafts.create(drafts.brief({**raw, "prompt": "Our bakery opens at 6am from Monday"}))
    after_other = await seeded_variants(drafts, seeded)
    # far from 42: candidate i of a seeded draft is seeded 42 + i, and best-of-n may pick any of them
    other = await seeded_variants(drafts, {**raw, "seed": 4242})
    assert first == cached == after_other
    assert other != first


async def test_stop_strings_end_the_text_before_the_stop(vllm_engine: VllmEngine) -> None:
    prompt = "Count from one to twenty: 1, 2, 3, 4,"
    request = GenerationRequest(prompt=prompt, params=SamplingParams(max_new_tokens=24))
    free = await generate(vllm_engine, request)
    assert " 8," in free.text  # greedy: the count goes on
    stopped = await generate(
        vllm_engine,
        GenerationRequest(prompt=prompt, params=SamplingParams(max_new_tokens=24, stop=(" 8,",))),
    )
    assert stopped.outputs[0].finish_reason == "stop"
    assert stopped.text == free.text[: free.text.index(" 8,")]


async def test_a_client_that_leaves_aborts_the_upstream_request(
    vllm_server: Server, vllm_engine: VllmEngine
) -> None:
    """The same seeded brief twice: once to the end, once with the client leaving after the first
    event. vLLM's own token counter shows the second stopped early instead of running on unheard."""
    brief = {**BRIEF, "max_length": 120, "seed": 5, "temperature": 0.8}
    tokens = "vllm:generation_tokens_total"
    async with aiohttp.ClientSession() as client:
        before = await vllm_metric(vllm_engine, tokens)
        async with client.post(vllm_server.url + "/generate-text", json=brief) as resp:
            assert resp.status == 200
        whole = await vllm_metric(vllm_engine, tokens) - before
        assert whole >= 60, "the brief must run long enough for an abort to show"

        before = await vllm_metric(vllm_engine, tokens)
        resp = await client.post(vllm_server.url + "/generate-text", json={**brief, "stream": True})
        assert resp.status == 200
        await resp.content.readline()  # the first event: generation is under way
        resp.close()  # the client goes away
    for _ in range(100):
        await asyncio.sleep(0.1)
        if vllm_engine.health()["running"] == 0:
            break
    await asyncio.sleep(2.0)  # time enough for vLLM to have run on, had it not been told
    partial = await vllm_metric(vllm_engine, tokens) - before
    assert vllm_engine.health()["running"] == 0
    assert partial < whole / 2, f"vLLM generated {partial:.0f} of {whole:.0f} tokens for a client that left"


async def test_the_raw_chat_path_streams_from_vllm(vllm_engine: VllmEngine) -> None:
    request = GenerationRequest(
        messages=[{"role": "user", "content": "Say hello."}], params=SamplingParams(max_new_tokens=8)
    )
    events = [e async for e in vllm_engine.stream(request)]
    assert any(isinstance(e, TextDelta) for e in events)
    assert events[-1].outputs[0].token_ids  # type: ignore[union-attr]


async def test_many_seeded_requests_at_once_do_not_kill_the_server(
    vllm_engine: VllmEngine, catalog: Catalog, app_config
) -> None:
    """32 seeded PostPulse prompts at once overflow one prefill step: with chunked prefill vLLM CPU's
    worker died on them (the child runs with whole-prompt prefill to avoid it)."""
    drafts = DraftService(vllm_engine, catalog, app_config.engine)
    messages = drafts.request_for(drafts.brief(BRIEF)).messages
    requests = [
        GenerationRequest(messages=messages, params=SamplingParams(max_new_tokens=4, temperature=0.8, seed=i))
        for i in range(32)
    ]
    results = await asyncio.gather(*(generate(vllm_engine, r) for r in requests))
    assert all(r.outputs[0].token_ids for r in results)
    assert vllm_engine.state == "ready" and vllm_engine.restarts == 0
