"""Alembic environment. At start-up `bot.store.migrate` hands over an open connection
(config.attributes["connection"]); `alembic -c bot/store/migrations/alembic.ini …` (developers
writing a new revision) connects with the URL from the ini or DATABASE_URL instead."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import Base
from bot.store.url import database_url

config = context.config
target = Base.metadata


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite can only ALTER by copying a table; batch mode does that portably.
    context.configure(connection=connection, target_metadata=target, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _online(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def _url() -> str:
    return database_url(config.get_main_option("sqlalchemy.url") or None, None, os.environ)


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online(_url()))
