"""The Slack harness: the real sidecar (adapters.http.create_app) with Slack mounted the way
`postpulse serve` mounts it, a real store on a SQLite file, the session's real engine, and the
loopback fake Slack in tests/fakes/slack_api.py."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

import adapters.slack
from adapters.http import create_app, make_runner, start_site
from adapters.slack import SLACK_RUNTIME, SlackRuntime
from bot.config import AppConfig
from bot.service import BotService
from bot.store import open_store
from engine.interface import Engine
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, Message
from tests.fakes.slack_payloads import actions_body, actions_payload, command_body, signed_headers

FORM = "application/x-www-form-urlencoded"
# Short drafts: the CPU is shared, and the flow, not the prose, is under test.
SHORT = "length:16"


@dataclass
class Harness:
    fake: FakeSlack
    service: BotService
    runtime: SlackRuntime
    url: str  # the sidecar's base URL
    http: aiohttp.ClientSession
    db: Path

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    async def post_signed(
        self, body: str, *, content_type: str = FORM, headers: dict[str, str] | None = None, **sign: Any
    ) -> tuple[int, str, float]:
        """POST as Slack does; returns (status, body, seconds until the answer)."""
        all_headers = {"Content-Type": content_type, **signed_headers(body, **sign), **(headers or {})}
        started = time.perf_counter()
        async with self.http.post(self.events_url, data=body, headers=all_headers) as resp:
            text = await resp.text()
            return resp.status, text, time.perf_counter() - started

    async def command(self, text: str, **kwargs: Any) -> tuple[int, str, float]:
        return await self.post_signed(command_body(text, **kwargs))

    async def click(self, message: Message, action_id: str, **kwargs: Any) -> tuple[int, str, float]:
        return await self.post_signed(actions_body(actions_payload(message, action_id, **kwargs)))

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """What the store wrote, read from the SQLite file itself."""
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            return conn.execute(sql, params).fetchall()

    async def settle(self) -> None:
        assert await self.runtime.replies.drain(timeout_s=900), "Slack work still running after 15 min"


def tuned(config: AppConfig, **slack: Any) -> AppConfig:
    """A copy of `config` with some `slack:` settings changed, no per-user generation limit and a
    generous generation timeout."""
    return config.model_copy(
        update={
            "slack": config.slack.model_copy(update=slack),
            "bot": config.bot.model_copy(update={"user_rate_limit_per_minute": 0}),
            # A shared 2-core box can be slow; a timeout here would test the machine, not Slack.
            "engine": config.engine.model_copy(update={"request_timeout_s": 900}),
        }
    )


@contextlib.asynccontextmanager
async def running(
    config: AppConfig,
    engine: Engine,
    tmp_path: Path,
    *,
    socket_mode: bool = False,
    update_limit_per_minute: int = 50,
) -> AsyncIterator[Harness]:
    db = tmp_path / "drafts.db"
    async with FakeSlack(update_limit_per_minute=update_limit_per_minute) as fake:
        service = BotService(config)
        await service.open_store(await open_store(f"sqlite+aiosqlite:///{db}"))
        service.attach(engine)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        if socket_mode:
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        app: web.Application = create_app(config, service=service, env={})
        adapters.slack.mount(app, service, config, env)
        runner = make_runner(app, grace_s=1)
        await runner.setup()
        try:
            _, port = await start_site(runner, "127.0.0.1", 0)
            async with aiohttp.ClientSession() as http:
                yield Harness(fake, service, app[SLACK_RUNTIME], f"http://127.0.0.1:{port}", http, db)
        finally:
            await runner.cleanup()
            assert service.store is not None
            await service.store.close()
