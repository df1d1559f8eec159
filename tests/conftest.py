"""Shared fixtures: the real embedded model is loaded once per test session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig, load_config
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel, load_model
from engine.config import EngineConfig, ModelConfig
from tests.pg import postgres_cluster, postgres_url  # noqa: F401  (a real PostgreSQL, started once)

# Tests never reach a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def app_config(tmp_path_factory: pytest.TempPathFactory) -> AppConfig:
    config = load_config(REPO / "configs" / "default.yaml", env={})
    # Tests never write the user's data dir: apps built from this config keep drafts in a temp file.
    store = config.store.model_copy(update={"path": str(tmp_path_factory.mktemp("store") / "drafts.db")})
    return config.model_copy(update={"store": store})


@pytest.fixture(scope="session")
def catalog(app_config: AppConfig) -> Catalog:
    return Catalog.from_config(app_config)


@pytest.fixture(scope="session")
def loaded_model() -> LoadedModel:
    """The embedded base model in fp32 (greedy tokens comparable across batch shapes)."""
    return load_model(ModelConfig(source="embedded", dtype="float32", device="cpu"))


@pytest.fixture(scope="session")
def engine_config() -> EngineConfig:
    # A generous deadline: a busy CI machine must not turn slow drafts into timeouts.
    return EngineConfig(max_batch_size=32, max_queue=64, request_timeout_s=600)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(loaded_model: LoadedModel, engine_config: EngineConfig) -> AsyncIterator[AsyncEngine]:
    """One engine over the shared model for the whole session."""
    eng = AsyncEngine(loaded_model, engine_config)
    yield eng
    await eng.shutdown()


@pytest.fixture()
def tmp_config_dir(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of configs/ for tests that break a file on purpose."""
    target = tmp_path / "configs"
    target.mkdir()
    for f in (REPO / "configs").glob("*.yaml"):
        (target / f.name).write_text(f.read_text())
    yield target
