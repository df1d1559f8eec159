"""scripts/healthcheck.py (the images' HEALTHCHECK) against the real sidecar on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest_asyncio

from adapters.runtime import build_runtime
from bot.config import AppConfig
from bot.service import Loader
from engine.interface import Engine

StartSidecar = Callable[[Loader], Awaitable[int]]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "healthcheck.py"


async def run_healthcheck(port: int) -> tuple[int, str]:
    env = {**os.environ, "POSTPULSE_PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return proc.returncode or 0, err.decode()


@pytest_asyncio.fixture()
async def sidecar_factory(app_config: AppConfig) -> AsyncIterator[StartSidecar]:
    """Start the real sidecar (`postpulse serve`'s runtime) with a given engine loader; returns its port."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(loader: Loader) -> int:
            runtime = await stack.enter_async_context(
                build_runtime(app_config, {}, host="127.0.0.1", port=0, grace_s=1, loader=loader)
            )
            assert runtime.url is not None
            return int(runtime.url.rsplit(":", 1)[1])

        yield start


async def test_healthy_while_the_model_loads(sidecar_factory: StartSidecar) -> None:
    never = asyncio.Event()

    async def still_loading() -> Engine:
        await never.wait()
        raise AssertionError("unreachable")

    port = await sidecar_factory(still_loading)
    code, err = await run_healthcheck(port)
    assert code == 0, err


async def test_unhealthy_when_the_model_failed_to_load(sidecar_factory: StartSidecar) -> None:
    async def broken() -> Engine:
        raise RuntimeError("weights missing")

    port = await sidecar_factory(broken)
    await asyncio.sleep(0.1)  # let the background load fail
    code, err = await run_healthcheck(port)
    assert code == 1
    assert "503" in err


async def test_unhealthy_when_nothing_listens() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    code, err = await run_healthcheck(free)
    assert code == 1 and "refused" in err.lower()
