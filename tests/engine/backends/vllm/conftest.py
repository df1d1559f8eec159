"""A real vLLM CPU server, managed by the `vllm` backend, started once for the whole test session.

It serves the embedded model (SmolLM2-135M converted to safetensors, no adapter). The tests here are
skipped only when the vLLM venv is missing (`make test` always creates it, so CI runs them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.vllm import VllmEngine
from engine.config import EngineConfig, ModelConfig, VllmConfig
from tests.adapters.http.support import Server, serving, tuned

REPO = Path(__file__).resolve().parents[4]
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"

# Each test module here carries this mark: skipped only where the venv is missing.
needs_vllm = pytest.mark.skipif(
    not VLLM_PYTHON.is_file(),
    reason="the vLLM venv (.venv-vllm) is missing: run scripts/setup-vllm.sh (make test does)",
)


def vllm_limits(tmp: Path, **vllm: object) -> EngineConfig:
    """Small, fast settings: short contexts, 1 GiB of KV cache, no fallback (these tests want vLLM)."""
    settings = {"max_model_len": 1024, "max_num_seqs": 32, "kv_cache_gib": 1, "fallback": False}
    settings["startup_timeout_s"] = 900
    # No torch.compile warm-up: the start takes ~70 s instead of ~3 min on a busy 2-core box, and
    # these tests check behaviour, not speed (bench/backends.py measures the production flags).
    settings["extra_args"] = ["--enforce-eager"]
    # Normal CPU priority from the first second, for the same reason: on a machine loaded by other
    # work a lowered child starts slower (tests/engine/backends/test_priority.py covers the lowering).
    settings["start_nice"] = 0
    settings["log_file"] = str(tmp / "vllm-server.log")
    settings.update(vllm)
    return EngineConfig(
        backend="vllm", vllm=VllmConfig.model_validate(settings), max_batch_size=32, request_timeout_s=120
    )


@pytest.fixture(scope="session")
def base_model() -> ModelConfig:
    return ModelConfig(source="embedded", adapter=None)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def vllm_engine(
    base_model: ModelConfig, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[VllmEngine]:
    engine = await VllmEngine(base_model, vllm_limits(tmp_path_factory.mktemp("vllm"))).start()
    yield engine
    await engine.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def vllm_server(
    app_config: AppConfig, vllm_engine: VllmEngine, catalog: Catalog
) -> AsyncIterator[Server]:
    """The sidecar exactly as `postpulse serve` builds it, on the vLLM backend."""
    config = tuned(app_config, http={"rate_limit_per_minute": 0})
    async with serving(config, vllm_engine, catalog=catalog, env={}) as srv:
        yield srv
