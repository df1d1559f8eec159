"""How the managed child is started, without starting vLLM: its environment, and its CPU priority
while it starts (lowered, then back to normal once `start_nice_s` passes or it serves)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from engine.backends.priority import can_restore, lower_while_starting, session_nice
from engine.backends.vllm import VllmEngine
from engine.config import ModelConfig
from tests.engine.backends.vllm.conftest import needs_vllm, vllm_limits

pytestmark = [needs_vllm]


def test_the_child_compiles_without_aot_unless_told(base_model: ModelConfig, tmp_path: Path) -> None:
    # vLLM 0.32's AOT artifact never loads back on torch 2.13: with it, every start compiled again
    env = VllmEngine(base_model, vllm_limits(tmp_path), env={}).child_env()
    assert env["VLLM_USE_AOT_COMPILE"] == "0"
    told = VllmEngine(base_model, vllm_limits(tmp_path), env={"VLLM_USE_AOT_COMPILE": "1"}).child_env()
    assert told["VLLM_USE_AOT_COMPILE"] == "1"


def test_a_cpu_child_keeps_its_worker_in_the_engine_core_unless_told(
    base_model: ModelConfig, tmp_path: Path
) -> None:
    # one process fewer: faster and 0.65 GiB lighter on a quiet CPU box (bench/results/backends-*)
    engine = VllmEngine(base_model, vllm_limits(tmp_path), env={})
    assert engine.cpu
    assert engine.child_env()["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"
    shared_box = {"VLLM_ENABLE_V1_MULTIPROCESSING": "1"}
    assert (
        VllmEngine(base_model, vllm_limits(tmp_path), env=shared_box).child_env()[
            "VLLM_ENABLE_V1_MULTIPROCESSING"
        ]
        == "1"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux") or not can_restore(), reason="Linux, restorable")
async def test_a_starting_child_runs_at_a_lower_priority_until_the_limit(
    base_model: ModelConfig, tmp_path: Path
) -> None:
    config = vllm_limits(tmp_path, start_nice=10, start_nice_s=0.2).vllm
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)", start_new_session=True
    )
    try:
        restore = lower_while_starting(child.pid, config.start_nice, config.start_nice_s)
        assert restore is not None
        assert session_nice(child.pid) == 10
        async with asyncio.timeout(10):  # start_nice_s is 0.2 s: raised back by then
            while session_nice(child.pid) != 0:
                await asyncio.sleep(0.05)
    finally:
        child.kill()
        await child.wait()


async def test_no_lowering_when_switched_off(base_model: ModelConfig, tmp_path: Path) -> None:
    config = vllm_limits(tmp_path, start_nice=0).vllm
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)", start_new_session=True
    )
    try:
        assert lower_while_starting(child.pid, config.start_nice, config.start_nice_s) is None
        assert session_nice(child.pid) == 0
    finally:
        child.kill()
        await child.wait()
