"""Server-sent events: open a stream, write events, notice a client that went away.

Both streaming routes open the stream only after the engine produced its first event, so errors that
happen before any output (invalid input, queue full, not ready) still get a proper status code.
"""

from __future__ import annotations

import json
from typing import Any

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
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in payload.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


async def send(response: web.StreamResponse, data: Any, event: str | None = None) -> None:
    """Raises ConnectionResetError when the client has gone; callers stop generating then."""
    await response.write(encode(data, event))
