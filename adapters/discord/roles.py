"""Who a Discord member is to PostPulse, from the interaction alone (no REST call): members with
Manage Server administer brand kits; members holding `roles.discord_reviewer_role` (its id, or its
exact name) approve drafts. In a DM nobody holds a role."""

from __future__ import annotations

from typing import Any

import discord

from bot.config import RolesConfig
from bot.records import Role

Interaction = discord.Interaction[Any]


def _is_reviewer_role(role: discord.Role, wanted: str) -> bool:
    return str(role.id) == wanted or role.name == wanted


def roles_of(interaction: Interaction, config: RolesConfig) -> frozenset[Role]:
    if interaction.guild_id is None:
        return frozenset()
    roles: set[Role] = set()
    if interaction.permissions.manage_guild:  # the member's permissions, resolved by Discord
        roles.add("admin")
    wanted = config.discord_reviewer_role
    member = interaction.user
    if (
        wanted
        and isinstance(member, discord.Member)
        and any(_is_reviewer_role(role, wanted) for role in member.roles)
    ):
        roles.add("reviewer")
    return frozenset(roles)


def reviewer_role(guild: discord.Guild | None, config: RolesConfig) -> discord.Role | None:
    """The configured reviewer role in this guild (to mention it), if it exists."""
    wanted = config.discord_reviewer_role
    if guild is None or not wanted:
        return None
    return next((role for role in guild.roles if _is_reviewer_role(role, wanted)), None)
