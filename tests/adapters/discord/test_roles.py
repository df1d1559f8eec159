"""Roles from a Discord interaction (adapters.discord.roles), on interactions as the real client parses
them from the fake's payloads: Manage Server makes an admin; the reviewer role, by id or by name,
makes a reviewer; a DM holds no role."""

from __future__ import annotations

from pathlib import Path

import discord

from adapters.discord.roles import reviewer_role, roles_of
from bot.config import AppConfig, RolesConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import running, tuned
from tests.fakes.discord_api import FakeDiscord, Guild, Json
from tests.fakes.discord_payloads import MANAGE_GUILD, snowflake

ROLE = snowflake()


async def test_manage_server_is_admin_and_the_reviewer_role_reviews(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    guild = Guild(snowflake(), "Test Guild", [snowflake()], roles={ROLE: "Reviewer"})
    fake = await FakeDiscord(heartbeat_interval_ms=250, guilds=[guild]).start()
    try:
        async with running(tuned(app_config), full_engine, tmp_path / "drafts.db", fake=fake) as h:
            client = h.bot.client

            def parsed(payload: Json) -> discord.Interaction[discord.Client]:
                return discord.Interaction(data=payload, state=client._connection)  # type: ignore[arg-type]

            by_name, by_id = (
                RolesConfig(discord_reviewer_role="Reviewer"),
                RolesConfig(discord_reviewer_role=ROLE),
            )
            owner = parsed(fake.command("postpulse", {"prompt": "x"}))
            plain = parsed(fake.command("postpulse", {"prompt": "x"}, permissions=1 << 11))
            manager = parsed(fake.command("postpulse", {"prompt": "x"}, permissions=MANAGE_GUILD))
            holder = parsed(fake.command("postpulse", {"prompt": "x"}, permissions=1 << 11, roles=[ROLE]))
            dm = parsed(fake.direct_message("postpulse", {"prompt": "x"}))
            assert roles_of(owner, by_name) == {"admin"}
            assert roles_of(plain, by_name) == frozenset()
            assert roles_of(manager, RolesConfig()) == {"admin"}
            assert roles_of(holder, by_name) == {"reviewer"} == roles_of(holder, by_id)
            assert roles_of(holder, RolesConfig(discord_reviewer_role="Editors")) == frozenset()
            assert roles_of(dm, by_name) == frozenset()
            found = reviewer_role(client.get_guild(int(guild.id)), by_name)
            assert found is not None and str(found.id) == ROLE and found.mention == f"<@&{ROLE}>"
    finally:
        await fake.close()
