"""Alembic `upgrade head` at start-up, over the store's own async engine.

Two replicas may start at once: on SQLite a file lock next to the database serialises them; on
PostgreSQL the migration runs in one transaction (transactional DDL), and a loser of the race
finds the schema at head when it looks again.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreError
from bot.store.url import redact, sqlite_file

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_TIMEOUT_S = 60


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade(connection: Connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, target)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    url = engine.url.render_as_string(hide_password=False)
    file = sqlite_file(url)
    lock = FileLock(str(file) + ".migrate.lock", timeout=LOCK_TIMEOUT_S) if file else None
    with lock if lock is not None else contextlib.nullcontext():
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, target)
        except Exception as exc:
            head = head_revision()
            if target == "head" and await _safe_current(engine) == head:
                log.info("another process migrated %s to %s first", redact(url), head)
                return
            raise StoreError(f"could not migrate the store at {redact(url)}: {type(exc).__name__}") from exc
    log.info("store at %s is at revision %s", redact(url), await current_revision(engine))


async def downgrade(engine: AsyncEngine, target: str = "base") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, target)


async def _safe_current(engine: AsyncEngine) -> str | None:
    try:
        return await current_revision(engine)
    except Exception:
        return None
