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

from bot.errors import DraftNotFound, StoreError
from bot.store import database_url, migrate, open_store
from bot.store.database import make_db
from bot.store.models import Base
from tests.bot.store.support import make_draft

TABLES = {"drafts", "variants", "ratings", "choices", "channel_defaults", "deliveries", "alembic_version"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _drift(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_from_empty_to_head_and_back(store_url: str) -> None:
    engine = make_db(store_url)
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
    await store.drafts.add(draft)
    await store.close()
    again = await open_store(store_url)  # the start-up migration finds the schema at head
    try:
        assert (await again.drafts.get(draft.id, draft.tenant)).variants == draft.variants
    finally:
        await again.close()


async def test_replicas_starting_at_once_both_come_up(store_url: str) -> None:
    stores = await asyncio.gather(*(open_store(store_url) for _ in range(3)))
    try:
        draft = make_draft()
        await stores[0].drafts.add(draft)
        assert (await stores[2].drafts.get(draft.id, draft.tenant)).id == draft.id
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
    engine = make_db(store_url)
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
        old = await store.drafts.get("a" * 32, "slack:user:U1")  # 0003: no workspace stored
        assert old.brief.prompt == "Old sale" and old.variants[0].text == "Old sale today"
        assert old.variants[0].score is None
    finally:
        await store.close()


# (front door, workspace id, user id) as a 0002-era server stored them -> the tenant 0003 assigns.
OLD_ORIGINS = {
    "slack-team": (("slack", "T0ACME", "U1"), "slack:T0ACME"),
    "slack-none": (("slack", None, "U2"), "slack:user:U2"),
    "guild": (("discord", "81234", "42"), "discord:81234"),
    "discord-dm": (("discord", None, "42"), "discord:user:42"),
    "brand-key": (("http", "key:aaaaaaaaaaaa", "key:aaaaaaaaaaaa"), "brand:acme"),
    "plain-key": (("http", "key:bbbbbbbbbbbb", "key:bbbbbbbbbbbb"), "key:bbbbbbbbbbbb"),
    "no-keys": (("http", "addr:127.0.0.1", "addr:127.0.0.1"), "default"),
    "console": (("console", None, "me"), "default"),
    "playground": (("playground", None, "me"), "default"),
}


async def test_0003_gives_every_existing_draft_its_tenant(store_url: str) -> None:
    db = make_db(store_url)
    ids = {name: f"{i:032x}" for i, name in enumerate(OLD_ORIGINS, start=1)}
    try:
        await migrate.upgrade(db, "0002")
        async with db.begin() as conn:
            for name, ((door, workspace, user), _) in OLD_ORIGINS.items():
                await conn.execute(
                    text(
                        "INSERT INTO drafts (id, front_door, user_id, workspace_id, brief, model, "
                        "platform_limit, generation_seconds, prompt_tokens, completion_tokens, created_at) "
                        "VALUES (:id, :door, :user, :workspace, :brief, 'm', 280, 1.0, 1, 1, :at)"
                    ),
                    {
                        "id": ids[name],
                        "door": door,
                        "user": user,
                        "workspace": workspace,
                        "brief": json.dumps({"prompt": f"Old {name}"}),
                        "at": datetime.now(UTC),
                    },
                )
                await conn.execute(
                    text(
                        'INSERT INTO variants (draft_id, "index", text, word_count, character_count, '
                        "hashtags, truncated) VALUES (:id, 0, 'Old sale', 2, 8, '[]', false)"
                    ),
                    {"id": ids[name]},
                )
            await conn.execute(
                text(
                    "INSERT INTO ratings (draft_id, variant, rating, front_door, user_id, created_at) "
                    "VALUES (:id, 0, 'up', 'slack', 'U1', :at)"
                ),
                {"id": ids["slack-team"], "at": datetime.now(UTC)},
            )
    finally:
        await db.dispose()
    # Start-up as `postpulse serve` runs it, with brand acme's key configured.
    store = await open_store(store_url, key_tenants={"key:aaaaaaaaaaaa": "brand:acme"})
    try:
        async with store.db.connect() as conn:
            tenants = dict((await conn.execute(text("SELECT id, tenant FROM drafts"))).all())
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("drafts"))
        assert tenants == {ids[name]: tenant for name, (_, tenant) in OLD_ORIGINS.items()}
        assert any(ix["column_names"] == ["tenant"] for ix in indexes), indexes
        for name, (_, tenant) in OLD_ORIGINS.items():
            assert (await store.drafts.get(ids[name], tenant)).brief.prompt == f"Old {name}"
        assert (await store.drafts.get(ids["slack-team"], "slack:T0ACME")).ratings == {0: "up"}
        with pytest.raises(DraftNotFound):  # assigned means scoped: the key's draft is not the brand's
            await store.drafts.get(ids["plain-key"], "brand:acme")
    finally:
        await store.close()
