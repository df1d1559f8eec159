"""A draft longer than one Discord message is split cleanly over follow-ups, buttons on the last.

The model would need minutes of this CPU to write 4,000+ characters, so this one test drives the
real discord.py client and the fake Discord with a stand-in Assistant (a fake of our own bot core,
testing only the Discord layer above it); every other Discord test runs the real Assistant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.discord import launch
from adapters.discord.render import MESSAGE_LIMIT
from bot.assistant import Origin, StoredDraft
from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftDelta
from bot.postprocess import Post
from tests.adapters.discord.support import custom_ids, draft_id_of, tuned
from tests.fakes.discord_api import FakeDiscord

PARAGRAPH = (
    "Spring is the season to ride further, and our shop has everything you need to make it happen. "
    "From lightweight road frames to sturdy commuters, every bike is tuned by our mechanics before it "
    "leaves the floor. "
)


def long_post(n: int) -> Post:
    text = "\n\n".join(f"{i + 1}/{n}. {PARAGRAPH * 2}".strip() for i in range(3))  # ~1,500 chars
    return Post(text, len(text.split()), len(text), ["#spring"], False)


class LongJob:
    def __init__(self, draft: StoredDraft) -> None:
        self.brief = draft.brief
        self.draft = draft

    def __aiter__(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        return self._events()

    async def _events(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        for i, post in enumerate(self.draft.variants):
            yield DraftDelta(i, post.text[:400])
        yield self.draft

    async def result(self) -> StoredDraft:
        return self.draft

    async def aclose(self) -> None:
        return None


class LongAssistant:
    """Answers every /postpulse with a three-variant LinkedIn draft of about 4,700 characters."""

    def __init__(self) -> None:
        self.stored = StoredDraft(
            id="abcdef0123456789abcdef0123456789",
            brief=Brief(
                prompt="Spring at the bike shop", platform="linkedin", tone="inspirational", variants=3
            ),
            variants=[long_post(i) for i in range(3)],
            origin=Origin("discord", "u"),
            model="stand-in",
            generation_seconds=2.5,
            created_at=datetime.now(UTC),
            platform_limit=3000,
        )

    async def draft(self, origin: Origin, fields: dict[str, Any]) -> LongJob:
        return LongJob(self.stored)

    async def handle(self, origin: Origin, text: str) -> LongJob:
        return LongJob(self.stored)


async def test_a_long_draft_is_split_over_follow_ups(app_config: AppConfig, tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    stand_in = LongAssistant()
    config = tuned(app_config)
    bot = await launch(lambda: stand_in, Catalog.from_config(config), config, fake.env())  # type: ignore[arg-type,return-value]
    try:
        await bot.wait_until_ready()
        cmd = fake.command("postpulse", {"prompt": "Spring at the bike shop", "tone": "inspirational"})
        await fake.send_interaction(cmd)
        messages = await fake.wait_for(
            lambda: (
                (found := fake.messages_for(cmd)) and found[-1]["components"] and len(found) >= 3 and found
            )
        )
        contents = [m["content"] for m in messages]
        assert len(messages) == 3, [len(c) for c in contents]
        assert all(0 < len(c) <= MESSAGE_LIMIT for c in contents)
        assert [bool(m["components"]) for m in messages] == [False, False, True], (
            "buttons under the last part"
        )
        # remix 3, tone 1, use/up/down 3 each, Send for review and Edit
        assert draft_id_of(messages[-1]) == stand_in.stored.id and len(custom_ids(messages[-1])) == 15
        assert contents[-1].endswith("-# LinkedIn · inspirational · 3 variants · 2.5s")
        whole = "\n\n".join(contents)
        for post in stand_in.stored.variants:
            for paragraph in post.text.split("\n\n"):
                assert paragraph in whole, "parts are cut between paragraphs, never inside one"
        followups = [c for c in fake.calls if c.method == "POST" and c.path.endswith(cmd["token"])]
        assert len(followups) == 2 and all(c.query.get("wait") == "1" for c in followups)
    finally:
        await bot.stop()
        await fake.close()
