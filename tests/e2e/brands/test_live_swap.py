"""Live swap under load: a promotion recorded in the store reaches a running server, whose brand then
writes with the new adapter, while drafts stream over HTTP the whole time and none fails.

The real runtime (`postpulse serve`'s composition root, its adapter watcher polling the store), the
real transformers engines (the embedded base with a tiny LoRA), SQLite, and SSE over loopback. The
promoted "v1" is the globex test adapter, so greedy text shows the weights changed; the rollback
goes back to acme's configured adapter (reloaded in the config's dtype, so its text is not compared
with the fp32 session engine's)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest_asyncio

from adapters.runtime import Runtime, build_runtime
from bot.config import load_config
from bot.learn.swap import version_loader
from engine.backends.live import LiveEngine
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import wait_until

BRIEF = {"prompt": "Our spring sale starts Friday", "platform": "x", "max_length": 8, "temperature": 0}
KEYS = {"ACME_API_KEYS": "acme-key", "POSTPULSE_API_KEYS": "acme-key"}
CLIENTS = 2


@dataclass
class Streamed:
    started: float
    ended: float
    status: int
    events: list[str]
    draft_id: str | None


@pytest_asyncio.fixture()
async def runtime(
    tmp_config_dir: Path,
    tmp_path: Path,
    brand_adapters: dict[str, Path],
    brand_engines: dict[str, AsyncEngine],
    engine: AsyncEngine,
) -> AsyncIterator[Runtime]:
    path = tmp_config_dir / "default.yaml"
    path.write_text(
        path.read_text()
        + f"""
learn:
  poll_s: 0.2
quality:
  best_of: {{transformers: 1}}
  max_candidates: 1
brands:
  acme:
    adapter: {brand_adapters["acme"]}
    api_keys_env: ACME_API_KEYS
"""
    )
    env = {"POSTPULSE_STORE_PATH": str(tmp_path / "drafts.db"), "POSTPULSE_BACKEND": "transformers"}
    config = load_config(path, env=env)
    # version_loader(): the versions' engines start unwarmed here (the warm-up draft costs CI time)
    async with build_runtime(
        config, KEYS, host="127.0.0.1", port=0, engine=engine, version_loader=version_loader()
    ) as running:
        running.service.brands.attach("acme", brand_engines["acme"])  # borrowed: never stopped by a swap
        yield running


async def stream_one(client: aiohttp.ClientSession, url: str) -> Streamed:
    started = time.perf_counter()
    events: list[str] = []
    done: dict[str, object] = {}
    async with client.post(
        url, json={**BRIEF, "stream": True}, headers={"X-API-Key": "acme-key", "Accept": "text/event-stream"}
    ) as resp:
        event = ""
        async for raw in resp.content:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                events.append(event)
            elif line.startswith("data:") and event == "done":
                done = json.loads(line.split(":", 1)[1])
        status = resp.status
    return Streamed(started, time.perf_counter(), status, events, str(done.get("draft_id")))


async def keep_streaming(client: aiohttp.ClientSession, url: str, stop: asyncio.Event) -> list[Streamed]:
    out: list[Streamed] = []
    while not stop.is_set():
        out.append(await stream_one(client, url))
    return out


async def test_a_promotion_swaps_in_live_while_drafts_stream_and_a_rollback_swaps_back(
    runtime: Runtime, brand_adapters: dict[str, Path], brand_engines: dict[str, AsyncEngine]
) -> None:
    service, store = runtime.service, runtime.service.store
    live = service.live("acme")
    assert isinstance(live, LiveEngine) and live.version is None and runtime.url is not None
    url = f"{runtime.url}/generate-text"
    async with aiohttp.ClientSession() as client:
        before = await stream_one(client, url)
        stop = asyncio.Event()
        clients = [asyncio.create_task(keep_streaming(client, url, stop)) for _ in range(CLIENTS)]
        assert await wait_until(lambda: live.primary.inflight > 0, timeout=30)
        v1 = await store.adapters.add("acme", lambda n: brand_adapters["globex"], parent_version=None)
        await store.adapters.decide("acme", v1.version, "promoted", "gate passed")
        promoted_at = time.perf_counter()
        assert await wait_until(lambda: live.version == v1.version, timeout=60)  # "within a minute"
        swapped_at = time.perf_counter()
        after = await stream_one(client, url)
        stop.set()
        streamed = [s for task in clients for s in await task]
        await live.drained()
        new_engine = live.primary.engine

        # Rollback: no version left, so the brand's configured adapter serves again.
        assert await store.adapters.rollback("acme") is None
        assert await wait_until(lambda: live.version is None, timeout=60)
        back = await stream_one(client, url)
        await live.drained()
    everything = [before, *streamed, after, back]
    assert all(s.status == 200 and s.events[-1] == "done" and "error" not in s.events for s in everything)
    across = [s for s in streamed if s.started < promoted_at and swapped_at < s.ended]
    assert across, "no draft was streaming during the swap"
    rows = {s.draft_id: await store.drafts.get(str(s.draft_id), "brand:acme") for s in everything}
    assert rows[before.draft_id].adapter_version is None
    assert all(rows[s.draft_id].adapter_version is None for s in across)  # finished on the old engine
    assert rows[after.draft_id].adapter_version == v1.version
    assert rows[back.draft_id].adapter_version is None
    text = {key: row.variants[0].text for key, row in rows.items()}
    assert text[after.draft_id] != text[before.draft_id]  # greedy: only the weights differ
    assert new_engine.is_dead and not brand_engines["acme"].is_dead  # the swapped-in one freed; borrowed kept
    assert service.health()["adapters"]["acme"] == {"serving": "configured", "testing": None}
