"""`postpulse train --method dpo`: a few DPO steps on a small pair file raise the preferred answer's
margin (log p(chosen) - log p(rejected)), starting from the shipped SFT adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalog import Catalog
from engine.backends.transformers.loading import load_model
from engine.config import ModelConfig
from training.dataset import Record
from training.dpo import load_pairs, preference_margin, run_dpo, to_preference
from training.errors import DatasetError
from training.trainer_config import REPO, TrainConfig

pytestmark = pytest.mark.model

SHIPPED = REPO / "training" / "lora" / "postpulse-smollm2"
# chosen: on topic, "we", no invented facts; rejected: the failure modes issue 11 measured
PAIRS = [
    {
        "prompt": "new oat milk latte",
        "platform": "x",
        "tone": "casual",
        "industry": "food_beverage",
        "chosen": "Our oat milk latte is here, creamy and a little sweet. Come try one! #OatLatte",
        "rejected": "I tried a smartwatch on Monday, May 7th and it cost $49m. Follow @HealthierLiving",
    },
    {
        "prompt": "spring sale on garden tools",
        "platform": "x",
        "tone": "professional",
        "industry": "retail",
        "chosen": "Our spring garden tools sale is on. Sharp pruners and sturdy rakes. #GardenTools",
        "rejected": "My diary, day 3: I wrote about shoes. Call 555-123-4567 before June 2nd. It'",
    },
]


def _cfg(tmp: Path) -> TrainConfig:
    return TrainConfig.model_validate(
        {
            "run_dir": str(tmp / "run"),
            "max_seq_length": 256,
            "hyper": {"warmup_steps": 0},
            "dpo": {
                "init_adapter": str(SHIPPED),
                "output_dir": str(tmp / "dpo-adapter"),
                "learning_rate": 5e-4,  # high, so 4 steps show the effect
                "per_device_train_batch_size": 2,
                "gradient_accumulation_steps": 1,
                "max_steps": 4,
            },
        }
    )


def _margin(adapter: Path, rows: list[dict]) -> float:
    loaded = load_model(ModelConfig(source="embedded", adapter=str(adapter), dtype="float32", device="cpu"))
    return preference_margin(loaded.model, loaded.tokenizer, rows)


def test_dpo_raises_the_preferred_margin(tmp_path: Path, catalog: Catalog) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(p) + "\n" for p in PAIRS))
    cfg = _cfg(tmp_path)
    rows = [to_preference(Record(**p), catalog, cfg) for p in PAIRS]
    before = _margin(SHIPPED, rows)
    result = run_dpo(cfg, [pairs], catalog=catalog)
    assert result.steps == 4 and result.pairs == 2
    after = _margin(result.adapter_dir, rows)
    assert after > before + 1.0, (before, after)
    meta = json.loads((result.adapter_dir / "postpulse.json").read_text())
    assert meta["method"] == "dpo" and meta["dataset"]["pairs"] == 2
    saved = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert not (result.adapter_dir / "ref").exists() and saved["r"] == 16  # only the trained adapter


def test_a_file_without_pairs_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    sft = tmp_path / "sft.jsonl"
    sft.write_text(json.dumps({**PAIRS[0], "text": "x", "chosen": None, "rejected": None}) + "\n")
    with pytest.raises(DatasetError, match="no preference pairs"):
        load_pairs([sft], catalog)


def test_a_stop_file_ends_dpo_cleanly(tmp_path: Path, catalog: Catalog) -> None:
    """On a shared CPU a DPO run must be stoppable like SFT, and still save what it learned."""
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(p) + "\n" for p in PAIRS))
    cfg = _cfg(tmp_path)
    (tmp_path / "run" / "dpo").mkdir(parents=True)
    (tmp_path / "run" / "dpo" / "STOP").touch()
    result = run_dpo(cfg, [pairs], catalog=catalog)
    assert result.steps == 1  # of 4 planned
    assert result.metadata["metrics"]["stopped_early_at"] == 1
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
