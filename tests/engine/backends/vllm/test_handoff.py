"""The hand-off under load, on a real vLLM child: drafts stream through the sidecar without a pause
while the child starts and becomes ready, while it is killed in the middle of a draft, while it
restarts, and while an adapter swap restarts it. Not one request fails, and every draft names the
engine (backend) that wrote it.

The fast engine is the session's transformers engine (borrowed, so the hand-off leaves it running);
the target is its own vLLM child (the session's server must not be killed).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from bot.service import WARM_BRIEF, warm_draft
from engine.backends.handoff import HandoffEngine
from engine.backends.merged import MARKER
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.vllm import VllmEngine
from engine.config import ModelConfig
from tests.adapters.http.support import SHORT, serving, tuned
from tests.engine.backends.vllm.conftest import needs_vllm, vllm_limits
from tests.engine.backends.vllm.test_managed_child import read_events

pytestmark = [pytest.mark.vllm, needs_vllm]

BRIEF = {"prompt": "Our gym opens at 5am", "platform": "linkedin", "tone": "professional", "stream": True}
STREAMS = 3  # drafts in flight at any moment
ADAPTER = "training/lora/postpulse-smollm2"


async def draft(client: aiohttp.ClientSession, url: str, length: int = SHORT) -> dict[str, Any]:
    """One streamed draft; its outcome: the last event's name and body."""
    async with client.post(url + "/generate-text", json={**BRIEF, "max_length": length}) as resp:
        if resp.status != 200:
            return {"event": f"status {resp.status}", "body": await resp.text()}
        events = await read_events(resp)
    name, data = events[-1]
    return {"event": name, "body": json.loads(data)}


async def test_drafts_never_fail_while_vllm_starts_dies_and_restarts(
    app_config: AppConfig, catalog: Catalog, engine: AsyncEngine, base_model: ModelConfig, tmp_path: Path
) -> None:
    # A generous deadline: on a loaded 2-core box a draft run again on transformers must not time out.
    config = tuned(app_config, engine={"request_timeout_s": 900}, http={"rate_limit_per_minute": 0})
    vllm = VllmEngine(base_model, vllm_limits(tmp_path, restart_backoff_s=0.2))
    # The real warm-up path, shorter: this test is about the hand-off, not about warmth.
    short = {**WARM_BRIEF, "max_length": 8}
    warm = functools.partial(warm_draft, catalog=catalog, config=config, brief=short)
    handoff = HandoffEngine(engine, vllm.start, target_backend="vllm", warm=warm, owns_fast=False)

    async def load() -> HandoffEngine:
        return await handoff.start()

    outcomes: list[dict[str, Any]] = []
    stop = asyncio.Event()

    async with (
        serving(config, loader=load, catalog=catalog, env={}) as srv,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as client,
    ):
        await srv.service.ready.wait()
        async with client.get(srv.url + "/ready") as ready:
            body = await ready.json()
            assert ready.status == 200, body  # transformers serves, warm: vLLM still starting is no error
        assert body["backend"] == "transformers" and body["handoff"] == "warming" and body["target"] == "vllm"

        async def keep_drafting() -> None:
            while not stop.is_set():
                outcomes.append(await draft(client, srv.url))

        workers = [asyncio.create_task(keep_drafting()) for _ in range(STREAMS)]
        try:
            assert await handoff.wait_for("target", "fallback") == "target"  # vLLM up and warm
            async with client.get(srv.url + "/health") as health:
                facts = await health.json()
                assert health.status == 200 and facts["backend"] == "vllm", facts
            assert facts["handoff"]["phase"] == "target" and facts["handoff"]["handoffs"] == 1

            async def ready_while_restarting() -> tuple[int, dict[str, Any]]:
                """/ready as soon as the hand-off has moved back (the child takes minutes to return)."""
                assert await handoff.wait_for("restarting", "fallback") == "restarting"
                async with client.get(srv.url + "/ready") as ready:
                    return ready.status, await ready.json()

            # A draft that starts on vLLM, killed in its middle: it finishes, on transformers.
            restarting = asyncio.create_task(ready_while_restarting())
            async with client.post(srv.url + "/generate-text", json={**BRIEF, "max_length": 32}) as resp:
                assert resp.status == 200
                await resp.content.readline()  # generation is under way, on vLLM
                assert vllm.proc is not None
                os.kill(vllm.proc.pid, signal.SIGKILL)
                events = await read_events(resp)
            assert events[-1][0] == "done", events[-1]
            killed = json.loads(events[-1][1])
            assert killed["backend"] == "transformers" and killed["generated_text"].strip()
            assert handoff.failovers >= 1

            status, body = await restarting
            assert status == 200 and body["backend"] == "transformers", body
            assert body["handoff"] == "restarting"

            assert await handoff.wait_for("target", "fallback") == "target"  # back, warmed again
            assert vllm.restarts == 1 and handoff.handoffs == 2
            after_restart = await draft(client, srv.url)
            assert after_restart["event"] == "done" and after_restart["body"]["backend"] == "vllm"

            # An adapter swap restarts the child on the shipped adapter (merged): the same hand-off.
            restarting = asyncio.create_task(ready_while_restarting())
            await vllm.swap_adapter(base_model.model_copy(update={"adapter": ADAPTER}))
            status, body = await restarting
            assert status == 200 and body["backend"] == "transformers" and body["handoff"] == "restarting"
            assert await handoff.wait_for("target", "fallback") == "target"
            assert vllm.model_dir is not None and (vllm.model_dir / MARKER).is_file()
            assert vllm.restarts == 2 and handoff.handoffs == 3
            after_swap = await draft(client, srv.url)
            assert after_swap["event"] == "done" and after_swap["body"]["backend"] == "vllm"
        finally:
            stop.set()
            await asyncio.gather(*workers)

        failed = [o for o in outcomes if o["event"] != "done"]
        assert not failed, failed[:3]
        backends = [o["body"]["backend"] for o in outcomes]
        assert set(backends) <= {"transformers", "vllm"} and "transformers" in backends
        assert len(outcomes) >= STREAMS

        # The backend is stored with the draft: GET /v1/drafts/{id} says which engine wrote it.
        for written in (killed, after_restart["body"]):
            async with client.get(srv.url + f"/v1/drafts/{written['draft_id']}") as got:
                assert got.status == 200
                assert (await got.json())["backend"] == written["backend"]
    assert vllm.is_dead and not engine.is_dead  # the borrowed engine keeps running
