"""The Discord test harness: the real discord.py client, the real Assistant and store, the loopback
fake Discord (tests/fakes/discord_api.py)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.discord import DiscordBot, launch
from adapters.runtime import build_runtime
from bot.config import AppConfig
from bot.service import BotService
from engine.interface import Engine
from tests.fakes.discord_api import FakeDiscord, Json

# Short generations: CPU is scarce. `length:N` inside the prompt is the grammar's token count.
SHORT = "length:16"  # the grammar's minimum
SHORTENABLE = "length:24"  # room for Shorter to be shorter


def tuned(config: AppConfig, **discord: Any) -> AppConfig:
    """`config` with some `discord:` settings changed and no per-user generation limit."""
    return config.model_copy(
        update={
            "discord": config.discord.model_copy(update=discord),
            "bot": config.bot.model_copy(update={"user_rate_limit_per_minute": 0}),
            # The CPU here is shared by many jobs: a slow draft is not what these tests are about.
            "engine": config.engine.model_copy(update={"request_timeout_s": 600}),
        }
    )


@dataclass
class Harness:
    fake: FakeDiscord
    service: BotService
    bot: DiscordBot
    db: Path

    async def send(self, payload: Json) -> Json:
        await self.fake.send_interaction(payload)
        return payload


@contextlib.asynccontextmanager
async def running(
    config: AppConfig, engine: Engine, db: Path, *, fake: FakeDiscord | None = None
) -> AsyncIterator[Harness]:
    """A bot process: the runtime over the SQLite file `db` with `engine` borrowed, and the bot as
    adapters.discord.start launches it, connected to `fake`."""
    own_fake = fake is None
    fake = fake or await FakeDiscord(heartbeat_interval_ms=250).start()
    store = config.store.model_copy(update={"path": str(db), "url": None})
    config = config.model_copy(update={"store": store})
    try:
        async with build_runtime(config, fake.env(), front_doors=False, engine=engine) as runtime:
            service = runtime.service
            bot = await launch(lambda: service.assistant, service.catalog, config, fake.env())
            try:
                await bot.wait_until_ready()
                yield Harness(fake, service, bot, db)
            finally:
                await bot.stop()
    finally:
        if own_fake:
            await fake.close()


def custom_ids(message: Json) -> list[str]:
    """Every component custom_id on a message, row by row."""
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


def draft_id_of(message: Json) -> str:
    ids = {m.group(1) for cid in custom_ids(message) if (m := re.match(r"pp:\w+:([0-9a-f]+)", cid))}
    assert len(ids) == 1, f"one draft per message, got {ids}"
    return ids.pop()


def has_buttons(message: Json | None) -> bool:
    return bool(message and message.get("components"))
