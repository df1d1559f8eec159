"""Client disconnects free the engine slot; shutdown lets in-flight work finish within the grace period."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import SHORT, Server, idle, start, wait_until

pytestmark = pytest.mark.model

LONG = 400  # long enough that only a cancellation ends it within the test's time


def busy(engine: AsyncEngine) -> bool:
    return bool(engine.scheduler.running) or engine.scheduler.waiting_count > 0


async def test_disconnect_mid_stream_frees_slot(server: Server, engine: AsyncEngine) -> None:
    assert await wait_until(lambda: idle(engine))
    body = {"prompt": "Write a very long story", "max_length": LONG, "stream": True}
    async with aiohttp.ClientSession() as session:
        resp = await session.post(server.url + "/generate-text", json=body)
        assert resp.status == 200
        first = await resp.content.readline()  # the first delta has arrived: the request is running
        assert first.startswith(b"event: delta")
        assert busy(engine)
        resp.close()  # drop the connection mid-stream
    assert await wait_until(lambda: idle(engine), timeout=15), engine.health()


async def test_disconnect_while_waiting_for_json_frees_slot(server: Server, engine: AsyncEngine) -> None:
    """Not streaming: the handler is cancelled when the client goes, and with it the engine request."""
    assert await wait_until(lambda: idle(engine))
    body = {"messages": [{"role": "user", "content": "Tell me a long story"}], "max_tokens": LONG}

    async def call() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(server.url + "/v1/chat/completions", json=body),
        ):
            pass

    task = asyncio.create_task(call())
    assert await wait_until(lambda: bool(engine.scheduler.running), timeout=30)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await wait_until(lambda: idle(engine), timeout=15), engine.health()


async def test_graceful_shutdown_finishes_in_flight(
    http_config: AppConfig, catalog: Catalog, engine: AsyncEngine
) -> None:
    """Cleanup stops accepting at once, but a request already running still gets its 200."""
    assert await wait_until(lambda: idle(engine))
    srv = await start(http_config, engine, catalog=catalog, env={}, grace_s=60)
    async with aiohttp.ClientSession() as session:
        request = session.post(
            srv.url + "/generate-text", json={"prompt": "A product launch", "max_length": SHORT}
        )
        in_flight = asyncio.create_task(request)
        assert await wait_until(lambda: bool(engine.scheduler.running), timeout=30)
        stopping = asyncio.create_task(srv.stop())
        await asyncio.sleep(0.2)
        with pytest.raises(aiohttp.ClientConnectionError):  # the listener is closed
            await session.get(srv.url + "/health")
        resp = await in_flight
        assert resp.status == 200
        assert (await resp.json())["generated_text"]
        await stopping
    assert not engine.is_dead  # the borrowed engine is not the app's to stop


async def test_shutdown_grace_expiry_cancels_in_flight(
    http_config: AppConfig, catalog: Catalog, engine: AsyncEngine
) -> None:
    """A request longer than the grace period is cancelled, and its engine slot freed."""
    assert await wait_until(lambda: idle(engine))
    srv = await start(http_config, engine, catalog=catalog, env={}, grace_s=0.5)
    async with aiohttp.ClientSession() as session:
        body = {"prompt": "Write a very long story", "max_length": LONG}
        in_flight = asyncio.create_task(session.post(srv.url + "/generate-text", json=body))
        assert await wait_until(lambda: bool(engine.scheduler.running), timeout=30)
        await asyncio.wait_for(srv.stop(), timeout=15)
        with pytest.raises(aiohttp.ClientError):
            await in_flight
    assert await wait_until(lambda: idle(engine), timeout=15), engine.health()
