"""Every draft obeys the brand kit, on the real tiny model (transformers) and a real SQLite store:
the kit is set over chat by an admin (a member is refused), banned words never reach a user, the
required disclaimer and hashtag are in every draft within X's limit, and remixes obey it too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant, Info, Origin, StoredDraft
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftDelta
from bot.store import Store, database_url, open_store
from engine.backends.transformers.async_engine import AsyncEngine
from tests.bot.assistants import assistant_over

pytestmark = pytest.mark.model

DRAFTS = 20
BASELINE = 5  # seeds drafted without the kit: enough to show the brief invites the word
BRIEF = "cheap flights to Lisbon"
ADMIN = Origin("slack", "UADMIN", "T1", "C1", roles=frozenset({"admin"}))
MEMBER = Origin("slack", "UMEMBER", "T1", "C1")
KIT = 'brand set banned:"cheap,guaranteed" disclaimer:"Terms apply." hashtags:"#ad" emoji:none'


@pytest_asyncio.fixture(loop_scope="session")
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    kept = await open_store(database_url(None, str(tmp_path / "kit.db")))
    bare = await open_store(database_url(None, str(tmp_path / "bare.db")))
    yield kept, bare
    await kept.close()
    await bare.close()


async def _drafts(
    assistant: Assistant, origin: Origin, seeds: range, **fields: object
) -> list[tuple[str, StoredDraft]]:
    """(what the previews showed, the stored draft) for each seed, all in flight at once."""

    async def one(seed: int) -> tuple[str, StoredDraft]:
        job = await assistant.draft(origin, {"prompt": BRIEF, "seed": seed, **fields}, parse_prompt=False)
        shown = ""
        async for event in job:
            if isinstance(event, DraftDelta):
                shown += event.text
            else:
                return shown, event
        raise AssertionError("the job ended without a draft")

    return list(await asyncio.gather(*(one(seed) for seed in seeds)))


async def test_every_draft_obeys_the_kit_set_over_chat(
    engine: AsyncEngine, stores: tuple[Store, Store], catalog: Catalog, app_config: AppConfig
) -> None:
    kept, bare = stores
    assistant = assistant_over(engine, kept, catalog, app_config)
    refused = await assistant.handle(MEMBER, KIT)
    assert isinstance(refused, Info) and "Only a brand admin" in refused.text
    assert await kept.brand_kits.settings("default") == {}  # nothing changed
    saved = await assistant.handle(ADMIN, KIT)
    assert isinstance(saved, Info) and "banned: cheap, guaranteed" in saved.text
    assert "disclaimer: Terms apply." in saved.text and "required hashtags: #ad" in saved.text
    added = await assistant.handle(
        ADMIN, "brand examples add Fly to Porto for less this spring. Terms apply."
    )
    assert isinstance(added, Info) and "added" in added.text
    shown = await assistant.handle(MEMBER, "brand show")  # anyone may look
    assert isinstance(shown, Info) and "example posts: 1" in shown.text

    # The same briefs and seeds without a kit (another team's store) show the brief invites the word.
    fields = {"platform": "x", "max_length": 12}
    with_kit, without = await asyncio.gather(
        _drafts(assistant, ADMIN, range(DRAFTS), **fields),
        _drafts(assistant_over(engine, bare, catalog, app_config), ADMIN, range(BASELINE), **fields),
    )
    invited = sum("cheap" in v.text.lower() for _, d in without for v in d.variants)
    assert invited > 0, "the brief no longer invites the banned word: the test would prove nothing"
    texts = [v.text for _, d in with_kit for v in d.variants]
    assert len(texts) == DRAFTS
    assert all("cheap" not in shown.lower() for shown, _ in with_kit)  # previews too
    assert sum("cheap" in t.lower() for t in texts) == 0, texts
    x_limit = catalog.platforms["x"].char_limit
    for text in texts:
        body, _, tags = text.rpartition("\n\n")
        assert body.endswith("Terms apply.") and tags.split()[0] == "#ad", text
        assert len(text) <= x_limit
    print(f"\n'cheap' in {invited}/{BASELINE} drafts without the kit, 0/{DRAFTS} with it")

    remix = await assistant.remix(ADMIN, with_kit[0][1].id, "shorter")
    stored = await remix.result()
    assert "cheap" not in stored.variants[0].text.lower()
    assert stored.variants[0].text.rpartition("\n\n")[0].endswith("Terms apply.")
