"""Fixtures for the Slack tests (the harness itself is in tests/adapters/slack/support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.slack.support import Harness, running, tuned


@pytest.fixture(scope="session")
def slack_config(app_config: AppConfig) -> AppConfig:
    return tuned(app_config)


@pytest_asyncio.fixture(loop_scope="session")
async def slack(slack_config: AppConfig, engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    """HTTP mode, default budget, a fresh store."""
    async with running(slack_config, engine, tmp_path) as harness:
        yield harness
