"""Alembic `upgrade head` at start-up, over the store's own async engine.

Two replicas may start at once: on SQLite a file lock next to the database serialises them; on
PostgreSQL the migration runs in one transaction (transactional DDL), and a loser of the race
finds the schema at head when it looks again.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreError
from bot.store.url import redact, sqlite_file

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_TIMEOUT_S = 60
ADVISORY_KEY = 0x706F7374  # "post": PostPulse's migration lock on PostgreSQL
_LOOP_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
RACE_POLLS, RACE_POLL_S = 50, 0.2  # how long a loser of a migration race waits for the winner (10 s)


def _process_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOOP_LOCKS.get(loop)
    if lock is None:
        lock = _LOOP_LOCKS[loop] = asyncio.Lock()
    return lock


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, target: str, key_tenants: Mapping[str, str]) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["key_tenants"] = dict(key_tenants)  # read by 0003_tenants
    command.upgrade(config, target)


def _downgrade(connection: Connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, target)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(
    engine: AsyncEngine, target: str = "head", *, key_tenants: Mapping[str, str] | None = None
) -> None:
    """`key_tenants`: API key id -> tenant, for drafts made before tenants were stored (0003)."""
    url = engine.url.render_as_string(hide_password=False)
    file = sqlite_file(url)
    # Taken in a worker thread: a second store opening in this same process must wait without
    # blocking the event loop (the first one needs the loop to finish and release the lock).
    lock = FileLock(str(file) + ".migrate.lock", timeout=LOCK_TIMEOUT_S, thread_local=False) if file else None
    if lock is not None:
        await asyncio.to_thread(lock.acquire)
    try:
        # Alembic keeps its migration context in module globals, so two migrations interleaving on
        # one event loop corrupt each other: one at a time per process. Across processes (replicas
        # starting together) PostgreSQL's advisory lock queues them; the second then finds head.
        async with _process_lock(), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
            await connection.run_sync(_upgrade, target, key_tenants or {})
    except Exception as exc:
        if target == "head" and await _wait_for_head(engine):
            log.info("another process migrated %s to %s first", redact(url), head_revision())
            return
        raise StoreError(f"could not migrate the store at {redact(url)}: {_reason(exc)}") from exc
    finally:
        if lock is not None:
            lock.release()
    log.info("store at %s is at revision %s", redact(url), await current_revision(engine))


async def downgrade(engine: AsyncEngine, target: str = "base") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, target)


async def _wait_for_head(engine: AsyncEngine) -> bool:
    """After a failed migration: did a concurrent one (another replica) bring the schema to head?
    Its transaction may commit a moment after ours failed on the objects it created, so look again
    for a little while before calling it a failure."""
    head = head_revision()
    for _ in range(RACE_POLLS):
        try:
            if await current_revision(engine) == head:
                return True
        except Exception as exc:  # e.g. the version table is not visible yet
            log.debug("store revision not readable yet: %s", type(exc).__name__)
        await asyncio.sleep(RACE_POLL_S)
    return False


def _reason(exc: BaseException) -> str:
    """The error's class and the driver's own class (e.g. ConnectionRefusedError), never its text,
    which for some drivers repeats the connection string."""
    cause = exc.__cause__ or exc.__context__
    inner = getattr(exc, "orig", None) or cause
    return type(exc).__name__ + (f" ({type(inner).__name__})" if inner is not None else "")
