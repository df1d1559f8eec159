"""Alembic migrations from an empty database, run at start-up exactly as `postpulse serve` does."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.errors import StoreError
from bot.store import database_url, migrate, open_store
from bot.store.models import Base
from bot.store.repository import make_engine
from tests.bot.store.support import make_draft

TABLES = {"drafts", "variants", "ratings", "choices", "channel_defaults", "deliveries", "alembic_version"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _drift(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_from_empty_to_head_and_back(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        assert await migrate.current_revision(engine) is None
        async with engine.connect() as conn:
            assert not (await conn.run_sync(_tables)) & TABLES
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision() is not None
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
            # The models and the migrations describe the same schema (nothing for autogenerate to add).
            assert await conn.run_sync(_drift) == []
        await migrate.upgrade(engine)  # at head: a no-op
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert (await conn.run_sync(_tables)) & TABLES <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_open_store_migrates_and_data_survives_a_reopen(store_url: str) -> None:
    store = await open_store(store_url)
    draft = make_draft()
    await store.add_draft(draft)
    await store.close()
    again = await open_store(store_url)  # the start-up migration finds the schema at head
    try:
        assert (await again.get_draft(draft.id)).variants == draft.variants
    finally:
        await again.close()


async def test_replicas_starting_at_once_both_come_up(store_url: str) -> None:
    stores = await asyncio.gather(*(open_store(store_url) for _ in range(3)))
    try:
        draft = make_draft()
        await stores[0].add_draft(draft)
        assert (await stores[2].get_draft(draft.id)).id == draft.id
    finally:
        for store in stores:
            await store.close()


async def test_unreachable_database_is_a_store_error_without_the_password() -> None:
    url = database_url("postgresql://postpulse:hunter2@127.0.0.1:9/postpulse", None)
    assert url.startswith("postgresql+asyncpg://")
    with pytest.raises(StoreError) as info:
        await open_store(url)
    assert "hunter2" not in str(info.value)
    assert "127.0.0.1:9" in str(info.value)


def test_database_url_forms(tmp_path: object) -> None:
    assert database_url("postgres://u:p@h:5432/db", None) == "postgresql+asyncpg://u:p@h:5432/db"
    assert database_url(None, None, {"DATABASE_URL": "postgresql://u@h/db"}) == "postgresql+asyncpg://u@h/db"
    assert database_url(None, f"{tmp_path}/a/b.db").startswith("sqlite+aiosqlite:///")
    with pytest.raises(StoreError, match="unsupported"):
        database_url("mysql://u:secret@h/db", None)


async def test_rows_written_by_an_older_revision_survive_the_upgrade(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:  # what a 0001-era server wrote (no variants.details)
            await conn.execute(
                text(
                    "INSERT INTO drafts (id, front_door, user_id, brief, model, platform_limit, "
                    "generation_seconds, prompt_tokens, completion_tokens, created_at) VALUES "
                    "(:id, 'slack', 'U1', :brief, 'm', 280, 1.0, 1, 1, :at)"
                ),
                {"id": "a" * 32, "brief": json.dumps({"prompt": "Old sale"}), "at": datetime.now(UTC)},
            )
            await conn.execute(
                text(
                    'INSERT INTO variants (draft_id, "index", text, word_count, character_count, hashtags, '
                    "truncated) VALUES (:id, 0, 'Old sale today', 3, 14, '[]', false)"
                ),
                {"id": "a" * 32},
            )
    finally:
        await engine.dispose()
    store = await open_store(store_url)  # start-up upgrades 0001 -> head
    try:
        old = await store.get_draft("a" * 32)
        assert old.brief.prompt == "Old sale" and old.variants[0].text == "Old sale today"
        assert old.variants[0].score is None
    finally:
        await store.close()
