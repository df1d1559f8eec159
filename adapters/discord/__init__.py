"""The Discord front door: `/postpulse` for communities, deferred, streamed, with buttons that
survive restarts. It only converts: interactions -> bot.assistant calls -> Discord messages.

`start(service, config, env)` is what the runtime calls (adapters.runtime.FRONT_DOORS) when
DISCORD_BOT_TOKEN is set: the bot runs on the sidecar's event loop and shares its engine and store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

import discord

from adapters.discord.client import PostPulseClient, PostPulseShardedClient, build_client
from adapters.discord.settings import TOKEN_ENV, DiscordEnv
from bot.assistant import Assistant
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.service import BotService

log = logging.getLogger(__name__)

ENV_VARS = (TOKEN_ENV,)
__all__ = ["ENV_VARS", "DiscordBot", "start"]


class DiscordBot:
    """A running bot: the client and the task that keeps its gateway connection(s) alive."""

    def __init__(self, client: PostPulseClient | PostPulseShardedClient, task: asyncio.Task[None]) -> None:
        self.client = client
        self.task = task

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        ready = asyncio.ensure_future(self.client.wait_until_ready())
        done, _ = await asyncio.wait({ready, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self.task.done():
                self.task.result()  # raise what stopped it
            raise TimeoutError("the Discord gateway did not become ready")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Finish (for `grace_s`) the drafts being written, then leave the gateway."""
        await self.client.responder.drain(grace_s)
        await self.client.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


async def launch(
    assistant_of: Callable[[], Assistant], catalog: Catalog, config: AppConfig, env: Mapping[str, str]
) -> DiscordBot:
    """Build the client and connect in the background (login, setup_hook, gateway)."""
    settings = DiscordEnv.from_env(env)
    settings.point_discord_py_here()
    client = build_client(
        assistant_of, catalog, config.discord, max_variants=config.engine.max_variants, roles=config.roles
    )
    task = asyncio.create_task(_run(client, settings.token), name="postpulse-discord")
    return DiscordBot(client, task)


async def _run(client: discord.Client, token: str) -> None:
    try:
        await client.start(token, reconnect=True)
    except discord.LoginFailure:
        log.error("Discord rejected %s: check the bot token", TOKEN_ENV)
        raise
    except Exception as exc:
        log.error("the Discord bot stopped: %s", exc, exc_info=exc)
        raise


async def start(
    service: BotService, config: AppConfig, env: Mapping[str, str]
) -> Callable[[], Awaitable[None]]:
    """adapters.serve's FrontDoor hook: start the bot; return its async stop."""
    bot = await launch(lambda: service.assistant, service.catalog, config, env)
    return bot.stop
