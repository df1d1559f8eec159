"""Server-sent events: open a stream, write events, notice a client that went away.

Both streaming routes open the stream only after the engine produced its first event, so errors that
happen before any output (invalid input, queue full, not ready) still get a proper status code.

Events are encoded with orjson, whose output never holds a raw newline (one `data:` line per event),
and several events can go out in one write (`send_many`): every write is a system call and a trip
through aiohttp's chunked writer, paid per token on the cores the model computes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from aiohttp import web

SSE_TYPE = "text/event-stream"


def wants_sse(request: web.Request, body_flag: bool | None) -> bool:
    """`"stream": true` in the body, or an Accept header asking for an event stream."""
    if body_flag is not None:
        return body_flag
    return SSE_TYPE in request.headers.get("Accept", "")


async def open_stream(request: web.Request, headers: dict[str, str] | None = None) -> web.StreamResponse:
    response = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": SSE_TYPE,
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # proxies such as nginx would otherwise buffer the deltas
            **(headers or {}),
        },
    )
    await response.prepare(request)
    return response


def encode(data: Any, event: str | None = None) -> bytes:
    """One event: `data` as JSON (a str goes out as it is, one `data:` line per line of it)."""
    if isinstance(data, str):
        payload = b"\n".join(b"data: " + line.encode() for line in data.split("\n"))
    else:
        payload = b"data: " + orjson.dumps(data)  # compact, UTF-8, newlines escaped
    return (b"event: " + event.encode() + b"\n" + payload if event else payload) + b"\n\n"


async def send(response: web.StreamResponse, data: Any, event: str | None = None) -> None:
    """Raises ConnectionResetError when the client has gone; callers stop generating then."""
    await response.write(encode(data, event))


async def send_many(response: web.StreamResponse, events: Iterable[Any], event: str | None = None) -> None:
    """Several events in one write (see the module's docstring)."""
    await response.write(b"".join(encode(data, event) for data in events))
