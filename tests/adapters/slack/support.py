"""The Slack harness: `postpulse serve`'s runtime (adapters.runtime.build_runtime), which mounts Slack
on the sidecar because the Slack variables are in its environment, a real store on a SQLite file,
the session's real engine, and the loopback fake Slack in tests/fakes/slack_api.py."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.runtime import build_runtime
from adapters.slack import SLACK_RUNTIME, SlackRuntime
from bot.config import AppConfig
from bot.service import BotService
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
    store = config.store.model_copy(update={"path": str(db), "url": None})
    config = config.model_copy(update={"store": store})
    async with FakeSlack(update_limit_per_minute=update_limit_per_minute) as fake:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        if socket_mode:
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        async with (
            build_runtime(config, env, host="127.0.0.1", port=0, grace_s=1, engine=engine) as runtime,
            aiohttp.ClientSession() as http,
        ):
            assert runtime.app is not None and runtime.url is not None
            yield Harness(fake, runtime.service, runtime.app[SLACK_RUNTIME], runtime.url, http, db)
