"""The managed vLLM child killed with SIGKILL mid-request: that request fails with a message, /health
says so, the child comes back, and the next request succeeds.

Its own child (the session's server must not be killed), serving the shipped adapter merged into the
base model: the path the `vllm` backend takes on CPU. One kill, one restart, one log file, closed at
shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.merged import MARKER
from engine.backends.vllm import VllmEngine
from engine.config import ModelConfig
from tests.adapters.http.support import serving, tuned
from tests.engine.backends.vllm.conftest import needs_vllm, vllm_limits

pytestmark = [pytest.mark.vllm, needs_vllm]

BRIEF = {"prompt": "Our gym opens at 5am", "platform": "linkedin", "tone": "professional", "max_length": 400}


async def read_events(resp: aiohttp.ClientResponse) -> list[tuple[str, str]]:
    events, name = [], ""
    async for raw in resp.content:
        line = raw.decode().strip()
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, line[5:].strip()))
    return events


async def test_a_killed_child_fails_its_request_reports_it_and_comes_back(
    app_config: AppConfig, catalog: Catalog, tmp_path: Path
) -> None:
    model = ModelConfig(source="embedded", adapter="training/lora/postpulse-smollm2")
    limits = vllm_limits(tmp_path, restart_backoff_s=0.2)
    engine = await VllmEngine(model, limits).start()
    assert engine.model_dir is not None and (engine.model_dir / MARKER).is_file()  # served merged
    config = tuned(app_config, http={"rate_limit_per_minute": 0})
    try:
        async with (
            serving(config, engine, catalog=catalog, env={}) as srv,
            aiohttp.ClientSession() as client,
        ):
            first_pid = engine.proc.pid  # type: ignore[union-attr]
            resp = await client.post(srv.url + "/generate-text", json={**BRIEF, "stream": True})
            assert resp.status == 200
            await resp.content.readline()  # generation is under way
            os.kill(first_pid, signal.SIGKILL)
            events = await read_events(resp)
            assert events[-1][0] == "error"
            assert "vLLM server stopped in the middle of this request" in events[-1][1]

            async with client.get(srv.url + "/health") as health:
                body = await health.json()
                assert health.status == 503
            assert body["backend"] == "vllm" and body["status"] == "restarting"
            assert "SIGKILL" in body["error"]

            async with client.post(srv.url + "/generate-text", json=BRIEF) as busy:
                assert busy.status == 503 and "restarting" in (await busy.json())["error"]["message"]

            deadline = time.monotonic() + 400
            while engine.state != "ready" and time.monotonic() < deadline:
                await asyncio.sleep(1)
            assert engine.state == "ready" and engine.restarts == 1
            assert engine.proc is not None and engine.proc.pid != first_pid

            async with client.post(srv.url + "/generate-text", json={**BRIEF, "max_length": 16}) as resp:
                assert resp.status == 200, await resp.text()
                assert (await resp.json())["generated_text"].strip()
            async with client.get(srv.url + "/health") as health:
                assert health.status == 200 and (await health.json())["state"] == "ready"
    finally:
        await engine.shutdown()
    assert engine.proc is not None and engine.proc.returncode is not None
    for _ in range(50):  # the whole group (API server + engine core) is gone
        if not live_members(engine.proc.pid):
            break
        await asyncio.sleep(0.1)
    assert not live_members(engine.proc.pid)
    log = tmp_path / "vllm-server.log"
    assert log.read_text().count("=== PostPulse starts vLLM") == 2  # the restart wrote to the same log
    assert str(log) not in open_files()  # and shutdown closed it


def open_files() -> set[str]:
    """What this process holds open, by path."""
    found = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            found.add(os.readlink(fd))
    return found


def live_members(group: int) -> list[int]:
    """Processes (not zombies) still in a process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
