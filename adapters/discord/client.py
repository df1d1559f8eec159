"""The discord.py client: one process-wide bot, sharded when the config says so.

Start-up work (persistent components, the command tree, command sync) happens in `setup_hook`, which
discord.py runs after login and before the gateway connects, so the first interaction already finds
everything in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import build_commands
from adapters.discord.components import DYNAMIC_ITEMS
from adapters.discord.gate import NO_PINGS, refusal, refuse
from adapters.discord.responding import Responder
from adapters.discord.review import ReviewFlow
from bot.assistant import Assistant
from bot.catalog import Catalog
from bot.config import DiscordConfig, RolesConfig

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]


class PostPulseTree(app_commands.CommandTree[Any]):
    config: DiscordConfig

    async def interaction_check(self, interaction: Interaction, /) -> bool:
        reason = refusal(interaction, self.config)
        if reason is not None:
            await refuse(interaction, reason)
            return False
        return True

    async def on_error(self, interaction: Interaction, error: app_commands.AppCommandError, /) -> None:
        log.error("command %s failed", interaction.command and interaction.command.name, exc_info=error)
        text = "⚠️ generation failed — please try again"
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not report the failure of interaction %s", interaction.id)


class _PostPulseBot:
    """Shared by the plain and the sharded client (mixed in before the discord.py class)."""

    tree: PostPulseTree
    responder: Responder
    review: ReviewFlow
    config: DiscordConfig

    def _setup(
        self,
        assistant_of: Callable[[], Assistant],
        catalog: Catalog,
        config: DiscordConfig,
        max_variants: int,
        roles: RolesConfig,
    ) -> None:
        self.config = config
        self.responder = Responder(assistant_of, catalog, config, roles)
        self.review = ReviewFlow(self.responder)  # the review buttons and modals (components.ReviewButton)
        self.tree = PostPulseTree(self)  # type: ignore[arg-type]
        self.tree.config = config
        self._commands = build_commands(self.responder, catalog, config, max_variants)
        self.synced: list[app_commands.AppCommand] = []

    async def setup_hook(self) -> None:
        client: discord.Client = self  # type: ignore[assignment]
        client.add_dynamic_items(*DYNAMIC_ITEMS)
        for command in self._commands:
            self.tree.add_command(command)
        if self.config.dev_guilds:
            for guild_id in self.config.dev_guilds:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                self.synced = await self.tree.sync(guild=guild)
            log.info("commands synced to %d development guild(s)", len(self.config.dev_guilds))
        else:
            self.synced = await self.tree.sync()
            log.info("commands synced globally: %s", ", ".join(c.name for c in self.synced))

    async def on_ready(self) -> None:
        client: discord.Client = self  # type: ignore[assignment]
        log.info("Discord: logged in as %s in %d guild(s)", client.user, len(client.guilds))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if self.config.allowed_guilds and guild.id not in self.config.allowed_guilds:
            log.warning(
                "added to guild %s, which is not in discord.allowed_guilds: it is not served", guild.id
            )


class PostPulseClient(_PostPulseBot, discord.Client):
    pass


class PostPulseShardedClient(_PostPulseBot, discord.AutoShardedClient):
    pass


def build_client(
    assistant_of: Callable[[], Assistant],
    catalog: Catalog,
    config: DiscordConfig,
    *,
    max_variants: int = 5,
    roles: RolesConfig | None = None,
) -> PostPulseClient | PostPulseShardedClient:
    """AutoShardedClient when `shard_count` is set (all shards, or this process's `shard_ids`)."""
    common: dict[str, Any] = {
        "intents": discord.Intents(guilds=True),  # slash commands need no privileged intent
        "allowed_mentions": NO_PINGS,  # drafts never ping anyone (and every call says so too)
        "enable_debug_events": False,
    }
    # PostPulse never joins voice: skip discord.py's warnings about the voice libraries.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    client: PostPulseClient | PostPulseShardedClient
    if config.shard_count is not None:
        if config.shard_ids is not None:  # this process runs only these shards
            common["shard_ids"] = config.shard_ids
        client = PostPulseShardedClient(shard_count=config.shard_count, **common)
    else:
        client = PostPulseClient(**common)
    client._setup(assistant_of, catalog, config, max_variants, roles or RolesConfig())
    return client
