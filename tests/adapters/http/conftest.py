"""Session fixtures for the HTTP sidecar tests (helpers live in tests/adapters/http/support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server, serving, tuned


@pytest.fixture(scope="session")
def http_config(app_config: AppConfig) -> AppConfig:
    """The session server: no per-client rate limit (the suite sends many requests from one address),
    and a deadline a busy CI machine does not hit."""
    return tuned(app_config, http={"rate_limit_per_minute": 0}, engine={"request_timeout_s": 600})


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def server(http_config: AppConfig, engine: AsyncEngine, catalog: Catalog) -> AsyncIterator[Server]:
    async with serving(http_config, engine, catalog=catalog, env={}) as srv:
        yield srv


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        yield session
