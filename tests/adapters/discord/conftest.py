"""Fixtures for the Discord tests (the harness itself is in tests/adapters/discord/support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def full_engine(loaded_model: LoadedModel) -> AsyncIterator[AsyncEngine]:
    """A real engine whose queue is always full: every generation is refused with EngineOverloaded,
    so tests of everything around a generation cost no model time."""
    engine = AsyncEngine(loaded_model, EngineConfig(max_queue=0))
    yield engine
    await engine.shutdown()
