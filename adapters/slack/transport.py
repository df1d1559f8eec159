"""How Slack reaches the app: HTTP (a route on the sidecar's aiohttp app) or Socket Mode (a websocket
the app opens, when SLACK_APP_TOKEN is set). Both feed the same bolt app.

HTTP uses bolt's aiohttp adapter (`to_bolt_request` / `to_aiohttp_response`), so bolt's signature and
timestamp check answers a forged or replayed request with 401 before any listener runs. Socket Mode
uses bolt's AsyncSocketModeHandler over slack_sdk's aiohttp client; the connection is opened in the
background so a slow or unreachable Slack never holds up the sidecar's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from adapters.slack import envelope

log = logging.getLogger(__name__)

# Where Slack delivers in HTTP mode (the manifest's URLs; adapters/http/auth.py leaves it key-free).
EVENTS_PATH = "/slack/events"


def events_handler(app: AsyncApp) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """bolt's aiohttp adapter behind two checks bolt leaves to chance: a timestamp that is not a
    number (bolt's verifier calls int() on it) is a 401, and a body bolt cannot parse or whose shape
    it cannot read (adapters/slack/envelope.py) is a 400, before anything runs."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise web.HTTPUnauthorized(reason="missing or malformed X-Slack-Request-Timestamp")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError):  # invalid UTF-8 or JSON (both ValueErrors)
            raise web.HTTPBadRequest(reason="the body is not a Slack payload") from None
        wrong = envelope.problem(bolt_request.body)
        if wrong is not None:
            log.info("refused a Slack delivery: %s", wrong)
            raise web.HTTPBadRequest(reason=f"not a Slack payload: {wrong}"[:200])
        response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    return slack_events


def mount_http(web_app: web.Application, app: AsyncApp) -> None:
    """`POST /slack/events`: slash commands, interactivity and events all arrive here."""
    web_app.router.add_post(EVENTS_PATH, events_handler(app))


class SocketModeTransport:
    def __init__(self, app: AsyncApp, app_token: str, *, ping_interval_s: float = 10.0) -> None:
        self.handler = AsyncSocketModeHandler(
            app, app_token, web_client=app.client, ping_interval=ping_interval_s
        )
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect(), name="slack-socket-mode")

    async def _connect(self) -> None:
        await self.handler.connect_async()  # retries by itself until connected or closed
        log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self.handler.close_async()
