"""Issue 17, item 5: slow clients cannot hold the server. Each test gives the server small limits and
waits (bounded by PATIENCE_S, far above them) for the server to close the connection itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server
from tests.security.support import KEY_A, PATIENCE_S, keyed_server, port_of

pytestmark = pytest.mark.model


@contextlib.asynccontextmanager
async def connection(server: Server) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes; fails if it is still open after PATIENCE_S."""
    return await asyncio.wait_for(reader.read(), PATIENCE_S)


async def test_headers_that_never_finish_are_cut_off(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with (
        keyed_server(app_config, engine, catalog, header_timeout_s=0.5, keepalive_timeout_s=600) as server,
        connection(server) as (reader, writer),
    ):
        writer.write(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ")
        await writer.drain()
        assert await closed_by_server(reader) == b""


async def test_a_body_shorter_than_its_length_gets_408(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with (
        keyed_server(app_config, engine, catalog, body_timeout_s=0.5) as server,
        connection(server) as (reader, writer),
    ):
        writer.write(
            b"POST /generate-text HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + KEY_A.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + b'{"prompt": "a'
        )
        await writer.drain()
        answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"http.body_timeout_s" in answer


async def test_idle_connections_are_closed(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with keyed_server(
        app_config, engine, catalog, header_timeout_s=600, keepalive_timeout_s=0.5
    ) as server:
        async with connection(server) as (reader, _):  # sends nothing at all
            assert await closed_by_server(reader) == b""
        async with connection(server) as (reader, writer):  # one request, then keeps the connection idle
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 200")


async def test_connections_past_the_cap_get_503(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with (
        keyed_server(app_config, engine, catalog, max_connections=2, header_timeout_s=600) as server,
        connection(server),
        connection(server),
    ):
        await asyncio.sleep(0)  # let the server take the first two
        async with connection(server) as (reader, _):
            answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
    assert b"Retry-After: 1" in answer
