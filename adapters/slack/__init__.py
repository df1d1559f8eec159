"""Slack front door: `/postpulse`, mentions and DMs, the draft buttons (slack-bolt AsyncApp).

`postpulse serve` starts it when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: `mount` puts
`/slack/events` on the sidecar (HTTP mode) and ties the adapter's life to the sidecar's; with
SLACK_APP_TOKEN it connects over Socket Mode instead. `start` runs it without a sidecar (Socket Mode).
Optional SLACK_API_URL points the Web API elsewhere (a loopback fake in tests).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web

from adapters.errors import SetupError
from adapters.slack.app import SlackRuntime
from adapters.slack.settings import REQUIRED_ENV, SlackSettings
from adapters.slack.transport import EVENTS_PATH, SocketModeTransport, mount_http
from bot.config import AppConfig
from bot.service import BotService

log = logging.getLogger(__name__)

SLACK_RUNTIME = web.AppKey("slack_runtime", SlackRuntime)

__all__ = ["REQUIRED_ENV", "SLACK_RUNTIME", "SlackRuntime", "SlackSettings", "mount", "start"]


def runtime_for(service: BotService, config: AppConfig, env: Mapping[str, str]) -> SlackRuntime:
    settings = SlackSettings.from_env(env, config)
    return SlackRuntime(settings, lambda: service.assistant, service.catalog)


async def _open(runtime: SlackRuntime) -> Callable[[], Awaitable[None]]:
    transport: SocketModeTransport | None = None
    if runtime.settings.app_token:
        transport = SocketModeTransport(
            runtime.app,
            runtime.settings.app_token,
            ping_interval_s=runtime.settings.tuning.socket_ping_interval_s,
        )
        transport.start()
        log.info("Slack: Socket Mode (SLACK_APP_TOKEN is set)")

    async def stop() -> None:
        if transport is not None:
            await transport.stop()
        await runtime.close()

    return stop


def mount(web_app: web.Application, service: BotService, config: AppConfig, env: Mapping[str, str]) -> None:
    """Add Slack to the sidecar before it starts: the events route (HTTP mode), and a cleanup_ctx
    that opens Socket Mode (when configured) on start-up and closes everything on cleanup."""
    runtime = runtime_for(service, config, env)
    web_app[SLACK_RUNTIME] = runtime
    if not runtime.settings.socket_mode:
        mount_http(web_app, runtime.app)
        log.info("Slack: HTTP mode at %s", EVENTS_PATH)

    async def slack_ctx(_: web.Application) -> AsyncIterator[None]:
        stop = await _open(runtime)
        yield
        await stop()

    web_app.cleanup_ctx.append(slack_ctx)


async def start(
    service: BotService, config: AppConfig, env: Mapping[str, str]
) -> Callable[[], Awaitable[None]]:
    """Run Slack without a sidecar: only Socket Mode can receive anything then."""
    runtime = runtime_for(service, config, env)
    if not runtime.settings.socket_mode:
        await runtime.close()
        raise SetupError("Slack without the HTTP sidecar needs SLACK_APP_TOKEN (Socket Mode)")
    return await _open(runtime)
