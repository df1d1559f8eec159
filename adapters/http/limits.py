"""Slow clients cannot hold the server: connection-level limits from `http:`.

What aiohttp 3.14 offers is used as is: `keepalive_timeout` (its timer starts when a connection
opens and closes it while it waits for a request, so a connection that sends nothing, and a request
head that never finishes on a kept-alive connection, close after `http.keepalive_timeout_s`),
`lingering_time`, `max_field_size`. It has no header-read deadline shorter than the keep-alive one
and no cap on open connections (the listen backlog is not one), so `LimitedSite` adds both by hand:
it wraps the protocol factory, refuses a connection past `http.max_connections` with a 503, and
closes a connection whose first request head has not arrived within `http.header_timeout_s`. The
body deadline lives in guards.body_timeout_middleware.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from adapters.http.guards import WIRE_LOG
from bot.config import HttpConfig

log = logging.getLogger(__name__)

_BUSY_BODY = json.dumps(
    {
        "error": {
            "message": "too many open connections; retry shortly",
            "type": "overloaded_error",
            "param": None,
        }
    }
).encode()
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY


def runner_options(http: HttpConfig) -> dict[str, Any]:
    """aiohttp's own per-connection settings (AppRunner keyword arguments)."""
    return {
        "keepalive_timeout": http.keepalive_timeout_s,
        # after an early answer (408, 413, 401) the rest of a body is read and dropped this long at most
        "lingering_time": min(10.0, http.body_timeout_s),
        "logger": WIRE_LOG,
    }


class _Refuse(asyncio.Protocol):
    """The answer to a connection past the cap: a 503, then the door closes."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(BUSY)
        transport.close()


class LimitedSite(web.TCPSite):
    """A TCPSite whose connections pass the cap and the header deadline first."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, http: HttpConfig) -> None:
        super().__init__(runner, host, port)
        self.max_connections = http.max_connections
        self.header_timeout_s = http.header_timeout_s
        self.refused = 0

    async def start(self) -> None:
        # TCPSite.start with the protocol factory wrapped; the private attributes are BaseSite's own.
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.BaseProtocol:
            if len(server.connections) >= self.max_connections:
                self.refused += 1
                if self.refused == 1 or self.refused % 100 == 0:
                    log.warning("refused a connection: %d open (http.max_connections)", self.max_connections)
                return _Refuse()
            handler = server()
            loop.call_later(self.header_timeout_s, _head_deadline, handler)
            return handler

        self._server = await loop.create_server(protocol, self._host, self._port, backlog=self._backlog)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port


def _head_deadline(handler: RequestHandler) -> None:
    """Close a connection that has not sent one whole request head in time (its count of parsed
    requests is aiohttp's `_request_count`; there is no public accessor)."""
    if getattr(handler, "_request_count", 1) == 0 and handler.transport is not None:
        log.info("closed a connection that sent no complete request head in time (http.header_timeout_s)")
        handler.force_close()
