"""`postpulse export merged`: base + adapter as one checkpoint, cached by the adapter's hash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.backends.merged import MARKER, adapter_digest, export_merged
from engine.backends.transformers.loading import load_model
from engine.config import ModelConfig

REPO = Path(__file__).resolve().parents[3]
ADAPTER = REPO / "training" / "lora" / "postpulse-smollm2"


def test_the_cache_key_follows_the_adapters_weights(tmp_path: Path) -> None:
    copy = tmp_path / "adapter"
    shutil.copytree(ADAPTER, copy)
    assert adapter_digest(copy) == adapter_digest(ADAPTER)
    (copy / "README.md").write_text("notes do not change the weights")
    assert adapter_digest(copy) == adapter_digest(ADAPTER)
    weights = copy / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    assert adapter_digest(copy) != adapter_digest(ADAPTER)


def test_a_missing_adapter_is_one_clear_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "export", "merged", "--adapter", "/no/such/adapter"],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: adapter directory not found: /no/such/adapter"]


@pytest.mark.model
def test_the_merged_model_matches_base_plus_adapter_and_is_made_once(tmp_path: Path) -> None:
    config = ModelConfig(source="embedded", adapter=str(ADAPTER), dtype="float32", device="cpu")
    out = export_merged(config, tmp_path / "merged")
    meta = json.loads((out / MARKER).read_text())
    assert meta["adapter_digest"] == adapter_digest(ADAPTER)
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert export_merged(config, out) == out  # up to date: kept, not merged again
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp

    merged = load_model(ModelConfig(source=str(out), adapter=None, dtype="float32", device="cpu"))
    peft = load_model(config)  # base + adapter, merged in memory by the transformers loader
    ids = merged.tokenizer("Fresh coffee every morning", return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.allclose(merged.model(ids).logits, peft.model(ids).logits, atol=1e-4)
