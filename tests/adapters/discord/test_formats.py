"""A carousel over Discord on the real model: /postpulse with the typed format and posts options
answers with one message per slide, in order, then the caption, each within Discord's 2,000
characters, the buttons under the last; the slides are the stored draft's."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from adapters.discord.render import MESSAGE_LIMIT
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.formats import Parts
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import draft_id_of, has_buttons, running, tuned
from tests.bot.formats.support import BAKERY, assert_carousel, one_candidate

pytestmark = pytest.mark.model

GENERATION_TIMEOUT = 900.0  # the CPU is shared; a carousel is a few hundred tokens


async def test_a_carousel_is_a_message_per_slide_then_the_caption(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog, tmp_path: Path
) -> None:
    db = tmp_path / "drafts.db"
    async with running(one_candidate(tuned(app_config)), engine, db) as h:
        options = {
            "prompt": BAKERY,
            "platform": "instagram",
            "tone": "casual",
            "format": "carousel",
            "posts": 3,
        }
        cmd = await h.send(h.fake.command("postpulse", options))

        def answered() -> list[dict[str, object]] | None:
            found = h.fake.messages_for(cmd, ephemeral=False)
            return found if found and has_buttons(found[-1]) else None

        messages = await h.fake.wait_for(answered, GENERATION_TIMEOUT)
    with closing(sqlite3.connect(db)) as conn:
        [(draft_id, raw)] = conn.execute("SELECT id, parts FROM drafts").fetchall()
    parts = Parts.from_stored(json.loads(raw), "instagram")
    assert_carousel(parts, 3, catalog)
    assert draft_id_of(messages[-1]) == draft_id
    contents = [str(m["content"]) for m in messages]
    assert all(len(c) <= MESSAGE_LIMIT for c in contents)
    slides = [f"**{s.number}. {s.headline}**\n{s.text}" for s in parts.slides]
    assert contents[:3] == slides  # one message per slide, in order
    assert contents[3].startswith(f"**Caption**\n{parts.caption}")
    assert re.search(r"\n-# Instagram · casual · 3 slides · \d+\.\ds$", contents[-1]), contents[-1]
    assert not any(has_buttons(m) for m in messages[:-1])
