"""Raw loopback HTTP for the hardening tests: bytes no well-behaved client library would send."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.interface import Engine
from tests.adapters.http.support import Server, serving, tuned

KEY_A = "sk-tenant-a-0123456789abcdef"
KEY_B = "sk-tenant-b-fedcba9876543210"
KEYS_ENV = {"POSTPULSE_API_KEYS": f"{KEY_A},{KEY_B}"}
# Bounded waits (not timings): a server that holds a connection past this has failed.
PATIENCE_S = 15.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


async def raw(server: Server, head: bytes, body: bytes = b"") -> Answer:
    """Send `head` (request line and headers, without the blank line) and `body`; read the answer
    of a `Connection: close` exchange."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
    try:
        writer.write(head.rstrip(b"\r\n") + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), PATIENCE_S)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    head_part, _, rest = data.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, rest)


def get(path: str, *headers: bytes, method: bytes = b"GET", host: bytes = b"127.0.0.1") -> bytes:
    return b"\r\n".join([method + b" " + path.encode() + b" HTTP/1.1", b"Host: " + host, *headers])


@contextlib.asynccontextmanager
async def keyed_server(
    config: AppConfig, engine: Engine, catalog: Catalog, **http: Any
) -> AsyncIterator[Server]:
    """The sidecar with two API keys and some http settings changed."""
    async with serving(tuned(config, http=http), engine, catalog=catalog, env=KEYS_ENV) as server:
        yield server


def leaks(records: Iterable[logging.LogRecord], *secrets: str) -> list[str]:
    """Log lines (message and traceback) that contain a secret or a traceback at all."""
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        if any(secret in text for secret in secrets) or "Traceback" in text:
            found.append(f"{record.name} {record.levelname}: {text[:500]}")
    return found
