"""`store_url`: a fresh, empty database for each test.

Default: a new SQLite file under tmp_path. The PostgreSQL run (deployment tests) overrides this one
fixture with a fresh database on a real server; nothing else in tests/store is SQLite-specific.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.store import Store, database_url, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs twice: on a SQLite file, and on a fresh database of the real PostgreSQL
    server the session starts (tests/pg.py, scripts/postgres.sh)."""
    if request.param == "postgresql":
        return database_url(request.getfixturevalue("postgres_url"), None)
    return database_url(None, str(tmp_path / "drafts.db"))


@pytest_asyncio.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()
