"""A thread through the Assistant on the real tiny model and a real SQLite store: written under the
brand kit, stored as one draft with its parts, read back (within its team only), remixed shorter
into fewer parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Info, Origin
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.errors import DraftNotFound
from bot.store import Store, database_url, open_store
from engine.backends.transformers.async_engine import AsyncEngine
from tests.bot.assistants import assistant_over
from tests.bot.formats.support import BAKERY, assert_kept, assert_thread, quoted

pytestmark = pytest.mark.model

ADMIN = Origin("slack", "UADMIN", "T1", "C1", roles=frozenset({"admin"}))
OTHER_TEAM = Origin("slack", "UADMIN", "T2", "C1", roles=frozenset({"admin"}))


@pytest_asyncio.fixture(loop_scope="session")
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(database_url(None, str(tmp_path / "drafts.db")))
    yield opened
    await opened.close()


async def test_a_thread_is_stored_with_its_parts_and_remixed_shorter(
    engine: AsyncEngine, store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    assistant = assistant_over(engine, store, catalog, app_config)
    kit = await assistant.handle(ADMIN, 'brand set banned:"amazing" disclaimer:"Terms apply." hashtags:"#ad"')
    assert isinstance(kit, Info) and "disclaimer: Terms apply." in kit.text
    fields = {"prompt": BAKERY, "format": "thread", "posts": 3, "platform": "x", "tone": "casual", "seed": 11}
    job = await assistant.draft(ADMIN, fields, parse_prompt=False)
    made = await job.result()
    assert made.parts is not None
    print(quoted(made.brief, made.parts))
    assert_thread(made.parts, 3, catalog)
    assert_kept(made.brief, made.parts)
    assert "amazing" not in made.parts.generated_text.lower()
    last = made.parts.posts[-1].text
    assert "Terms apply." in last and "#ad" in last  # the kit's required text ends the thread
    assert [v.text for v in made.variants] == [made.parts.generated_text]

    stored = await assistant.get(ADMIN, made.id)  # from the SQLite file
    assert stored.parts is not None and stored.parts.stored() == made.parts.stored()
    assert (stored.brief.format, stored.brief.posts) == ("thread", 3)
    with pytest.raises(DraftNotFound):
        await assistant.get(OTHER_TEAM, made.id)  # tenancy unchanged

    shorter = await (await assistant.remix(ADMIN, made.id, "shorter")).result()
    assert shorter.parts is not None and shorter.parent_id == made.id
    print(quoted(shorter.brief, shorter.parts))
    assert_thread(shorter.parts, 2, catalog)  # a post fewer, still a thread
    assert (await assistant.get(ADMIN, shorter.id)).parts is not None
