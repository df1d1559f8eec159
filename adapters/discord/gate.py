"""Who is served: the guild/channel allow-list and the DM switch, checked before any command or click."""

from __future__ import annotations

from typing import Any

import discord

from bot.config import DiscordConfig

# Passed on every send and edit as well as set as the client default: nothing the bot writes (a
# saved brand voice, a prompt, the model's words) may ping @everyone, a role or a user.
NO_PINGS = discord.AllowedMentions.none()

Interaction = discord.Interaction[Any]


def refusal(interaction: Interaction, config: DiscordConfig) -> str | None:
    """Why this interaction is not served here (the guild/channel allow-list, DMs off), or None."""
    if interaction.guild_id is None:
        return (
            None if config.dms else "PostPulse does not answer in direct messages here — use it in a server."
        )
    if config.allowed_guilds and interaction.guild_id not in config.allowed_guilds:
        return "PostPulse is not enabled in this server."
    channel = interaction.channel
    parent = getattr(channel, "parent_id", None)  # a thread counts as its channel
    if config.allowed_channels and not {interaction.channel_id, parent} & set(config.allowed_channels):
        return "PostPulse is not enabled in this channel — try one where it is."
    return None


async def refuse(interaction: Interaction, reason: str) -> None:
    if interaction.type is discord.InteractionType.autocomplete:
        await interaction.response.autocomplete([])
    else:
        await interaction.response.send_message("⚠️ " + reason, ephemeral=True, allowed_mentions=NO_PINGS)
