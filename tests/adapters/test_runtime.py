"""adapters.runtime.build_runtime: what it opened it closes, in reverse, and a failing step is logged
while the steps after it still run."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest

from adapters.runtime import build_runtime
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig

TEARDOWN = ("the HTTP sidecar", "the engine", "the link reader", "the quality pool", "the drafts store")


async def test_teardown_runs_in_reverse_and_logs_a_failing_step(
    app_config: AppConfig,
    loaded_model: LoadedModel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = AsyncEngine(loaded_model, EngineConfig(max_batch_size=2))
    real_shutdown = engine.shutdown

    async def shutdown_then_fail() -> None:
        await real_shutdown()
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(engine, "shutdown", shutdown_then_fail)

    async def loader() -> AsyncEngine:
        return engine

    store = app_config.store.model_copy(update={"path": str(tmp_path / "drafts.db")})
    config = app_config.model_copy(update={"store": store})
    caplog.set_level(logging.INFO, logger="bot.lifecycle")
    async with build_runtime(config, {}, host="127.0.0.1", port=0, loader=loader) as runtime:
        await runtime.service.ready.wait()
        assert runtime.service.engine is not None and runtime.service.engine.serving is engine
        # the tone judge was fitted at start-up, in the runtime's quality pool (not by a first draft)
        assert runtime.service.judge_warm is not None
        await runtime.service.judge_warm
        assert runtime.service.judge_ready
        pool = runtime.service.executor
        assert pool is not None and runtime.service.get().executor is pool
        async with aiohttp.ClientSession() as client, client.get(f"{runtime.url}/ready") as resp:
            assert resp.status == 200
    steps = [r.getMessage() for r in caplog.records if r.name == "bot.lifecycle"]
    assert steps == [
        "the HTTP sidecar stopped",
        "stopping the engine failed",
        "the link reader stopped",
        "the quality pool stopped",
        "the drafts store stopped",
    ]
    failed = next(r for r in caplog.records if r.getMessage() == "stopping the engine failed")
    assert failed.exc_info is not None and "the disk is on fire" in str(failed.exc_info[1])
    assert engine.is_dead  # the runtime loaded it, so the runtime stopped it
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(print)  # the runtime opened the pool, so the runtime shut it down
