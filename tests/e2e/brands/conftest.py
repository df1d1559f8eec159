"""Two brands, two tiny LoRA adapters made with peft from the embedded base, two real engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import torch

from engine.backends.transformers.async_engine import AsyncEngine, start_engine
from engine.backends.transformers.loading import resolve_source
from engine.config import EngineConfig, ModelConfig

BRANDS = ("acme", "globex")


def make_adapter(target: Path, seed: int) -> Path:
    """A rank-4 LoRA on q/v with random (not zero) weights, so each brand's model writes differently.

    Built on a randomly initialised copy of the base architecture: a LoRA's shapes depend only on the
    layer sizes, and peft saves only the adapter, so no base weights need loading (about a second)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    source, _ = resolve_source(ModelConfig(source="embedded"))
    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(source))
    lora = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(str(target))
    return target


@pytest.fixture(scope="session")
def brand_adapters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("brand-adapters")
    return {name: make_adapter(root / name, seed) for seed, name in enumerate(BRANDS, start=1)}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def brand_engines(brand_adapters: dict[str, Path]) -> AsyncIterator[dict[str, AsyncEngine]]:
    """One engine per brand: the embedded base with that brand's adapter merged in (the CPU path)."""
    limits = EngineConfig(max_batch_size=4, max_queue=16, request_timeout_s=300)
    engines = {}
    for name, adapter in brand_adapters.items():
        model = ModelConfig(source="embedded", dtype="float32", device="cpu", adapter=str(adapter))
        engines[name] = await start_engine(None, limits, model)
    yield engines
    for engine in engines.values():
        await engine.shutdown()
