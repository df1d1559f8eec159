"""Issue 17, item 2 on Discord: every message the bot sends or edits says `allowed_mentions` with
nothing allowed, whatever its text holds (a saved brand voice, a prompt, the model's words). Over
the real discord.py client against the loopback fake Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import SHORT, has_buttons, running, tuned
from tests.fakes.discord_api import Call

pytestmark = pytest.mark.model

HOSTILE = "@everyone @here <@2200000000000000009> <@&3300000000000000001> hi"
NO_PINGS = {"parse": []}


def _message_bodies(call: Call) -> list[dict[str, Any]]:
    """The message payloads inside a REST call (an interaction callback nests it under `data`)."""
    body = call.body if isinstance(call.body, dict) else {}
    if "/callback" in call.path:
        body = body.get("data") or {}
    return [body] if "content" in body else []


def unguarded(calls: list[Call]) -> list[str]:
    return [
        f"{call.method} {call.path}: {body.get('allowed_mentions')}"
        for call in calls
        for body in _message_bodies(call)
        if body.get("allowed_mentions") != NO_PINGS
    ]


async def test_every_send_and_edit_allows_no_mentions(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), engine, tmp_path / "drafts.db") as h:
        fake = h.fake
        sent = [
            await h.send(fake.command("postpulse-defaults", {"action": "set", "voice": HOSTILE})),
            await h.send(fake.command("postpulse-defaults")),
            await h.send(fake.command("postpulse-help")),
            await h.send(fake.command("postpulse-defaults", {"action": "set"})),  # the refusal
            await h.send(fake.command("postpulse", {"prompt": f"{SHORT} {HOSTILE}", "tone": "casual"})),
        ]
        await fake.wait_for(
            lambda: all(fake.messages_for(i) for i in sent[:-1]) and has_buttons(fake.original(sent[-1])), 600
        )
        await h.bot.client.responder.drain(600)
        shown = [m["content"] for i in sent for m in fake.messages_for(i)]
    assert any("@everyone" in text for text in shown)  # the voice is shown as written
    bodies = [b for c in fake.calls for b in _message_bodies(c)]
    assert len(bodies) >= 5
    assert not unguarded(fake.calls)
