"""The SQLAlchemy engine the store runs on (called `db` wherever an LLM engine is also in sight)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.url import is_sqlite

SQLITE_BUSY_TIMEOUT_MS = 30_000  # concurrent writers wait for the lock instead of failing


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers never block the writer; synchronous=FULL: a commit is on disk before it returns,
    # so an acknowledged rating survives a crash or power cut; foreign keys off by default in SQLite.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
    ):
        cursor.execute(pragma)
    cursor.close()


def make_db(url: str) -> AsyncEngine:
    db = create_async_engine(url, pool_pre_ping=not is_sqlite(url))
    if is_sqlite(url):
        event.listen(db.sync_engine, "connect", _sqlite_pragmas)
    return db
