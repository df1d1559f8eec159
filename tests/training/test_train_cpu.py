"""The CPU training path end to end on the real embedded model: a few steps on a tiny slice, loss
going down, the adapter saved with metadata, resumed, served by the engine and evaluated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors import safe_open

from bot.catalog import Catalog
from bot.prompts import adapter_prompt_format, build_messages
from engine.backends.transformers.loading import LoadedModel, check_adapter_base, load_model
from engine.config import ModelConfig
from engine.errors import ModelLoadError
from training.dataset import Record
from training.evaluate import EvalSettings, run_eval
from training.train import TrainResult, run_training
from training.trainer_config import TrainConfig

pytestmark = pytest.mark.model

TRAIN = [
    {
        "prompt": "Harbor Roasters opens a second cafe on Pier 9 this Friday",
        "platform": "x",
        "tone": "casual",
        "industry": "food_beverage",
        "text": "Pier 9, you're getting coffee ☕ Our second Harbor Roasters opens Friday at 7am. "
        "First 50 cups are on us. #HarborRoasters",
    },
    {
        "prompt": "Ledgerly adds same-day payouts for small businesses",
        "platform": "x",
        "tone": "professional",
        "industry": "finance",
        "text": "Same-day payouts are now live for every Ledgerly small-business account, at no extra fee. "
        "Turn on instant settlement in Settings. #Fintech",
    },
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    (root / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in TRAIN))
    (root / "heldout.jsonl").write_text(json.dumps({**TRAIN[0], "prompt": "Pier 9 cafe opening"}) + "\n")
    return root


def _cfg(workdir: Path, max_steps: int) -> TrainConfig:
    return TrainConfig.model_validate(
        {
            "data": {"train": [str(workdir / "train.jsonl")], "heldout": [str(workdir / "heldout.jsonl")]},
            "output_dir": str(workdir / "adapter"),
            "run_dir": str(workdir / "run"),
            "max_seq_length": 512,
            "save_steps": 2,
            # a tiny fixed batch, seen every step, so the loss must fall; a higher lr shows it in 3 steps
            "hyper": {
                "per_device_train_batch_size": 2,
                "gradient_accumulation_steps": 1,
                "warmup_steps": 0,
                "learning_rate": 2e-3,
                "max_steps": max_steps,
            },
        }
    )


@pytest.fixture(scope="module")
def trained(workdir: Path, catalog: Catalog) -> TrainResult:
    return run_training(_cfg(workdir, 3), catalog=catalog, echo=False)


def test_loss_goes_down_and_adapter_is_saved(trained: TrainResult, loaded_model: LoadedModel) -> None:
    rows = [json.loads(x) for x in (trained.adapter_dir / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[-1]["loss"] < rows[0]["loss"] - 0.05, rows
    out = trained.adapter_dir
    for name in (
        "adapter_model.safetensors",
        "adapter_config.json",
        "postpulse.json",
        "loss_curve.png",
        "train_log.csv",
    ):
        assert (out / name).is_file(), name
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}  # noqa: SIM118
    meta: dict[str, Any] = json.loads((out / "postpulse.json").read_text())
    base = loaded_model.model.config
    assert meta["base_model"] == {
        "name": "SmolLM2-135M-Instruct",
        "source": "embedded",
        "hidden_size": base.hidden_size,
        "num_hidden_layers": base.num_hidden_layers,
        "vocab_size": base.vocab_size,
    }
    assert len(meta["dataset"]["hash"]) == 64 and meta["dataset"]["train_records"] == 2
    assert meta["config"]["lora"]["r"] == 16 and meta["metrics"]["steps"] == 3
    assert meta["backend"] == "cpu"
    assert meta["prompt_format"] == "compact-v1"  # what the engine reads to serve the compact header
    card = (out / "README.md").read_text()
    assert "# PostPulse adapter for SmolLM2-135M-Instruct" in card and "Prompt format" in card
    assert "More Information Needed" not in card and str(Path.home()) not in card  # not PEFT's template


def test_engine_serves_the_adapter(trained: TrainResult, catalog: Catalog) -> None:
    loaded = load_model(
        ModelConfig(source="embedded", adapter=str(trained.adapter_dir), dtype="float32", device="cpu")
    )
    assert loaded.adapter == str(trained.adapter_dir)
    brief = Record(**TRAIN[0]).brief()
    assert adapter_prompt_format(trained.adapter_dir) == "compact"
    ids = loaded.tokenizer.apply_chat_template(
        build_messages(brief, catalog, "compact"),
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = loaded.model.generate(**ids, max_new_tokens=12, do_sample=False)
    text = loaded.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert text.strip()


def test_mismatching_base_is_refused(trained: TrainResult, loaded_model: LoadedModel, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(trained.adapter_dir, other)
    meta = json.loads((other / "postpulse.json").read_text())
    meta["base_model"].update(name="Llama-3.2-3B-Instruct", hidden_size=3072)
    (other / "postpulse.json").write_text(json.dumps(meta))
    with pytest.raises(
        ModelLoadError, match=r"trained for base model 'Llama-3\.2-3B-Instruct'.*hidden_size 3072"
    ):
        check_adapter_base(other, loaded_model.name, loaded_model.model.config)


def test_resume_continues_from_checkpoint(trained: TrainResult, workdir: Path, catalog: Catalog) -> None:
    result = run_training(_cfg(workdir, 4), resume=True, catalog=catalog, echo=False)
    rows = (result.adapter_dir / "train_log.jsonl").read_text().splitlines()
    assert result.steps == 4 and [json.loads(r)["step"] for r in rows] == [1, 2, 3, 4]


def test_eval_reports_base_vs_adapter(trained: TrainResult, workdir: Path, catalog: Catalog) -> None:
    report = workdir / "report"
    summary = run_eval(
        _cfg(workdir, 3),
        trained.adapter_dir,
        with_base=True,
        catalog=catalog,
        settings=EvalSettings(variants=2, max_new_tokens=16, dtype="float32", best_of=2),
        report_dir=report,
        previous=trained.adapter_dir,
    )
    labels = [m["label"] for m in summary["models"]]
    assert labels == ["base", "previous (adapter)", "adapter (adapter)", "adapter (adapter) + best-of-2"]
    assert all(m["drafts"] == 2 and 1 < m["perplexity"] < 1e4 for m in summary["models"])
    assert [m["prompt_format"] for m in summary["models"]] == ["full", "compact", "compact", "compact"]
    base, *_, best = summary["models"]
    assert base["prompt_tokens"] > 2 * best["prompt_tokens"]  # the compact header is much shorter
    for key in ("key_terms", "invented", "first_person", "fragments", "hashtag_valid", "specifics_kept",
                "all_specifics_kept", "contradicted", "invented_names", "bad_hashtags"):  # fmt: skip
        assert 0.0 <= best[key] <= 1.0
    assert best["fragments"] == 0.0  # post-processing guarantees complete endings
    text = (report / "eval_report.md").read_text()
    assert "| Metric | base | previous (adapter) | adapter (adapter) |" in text
    assert "Key-term coverage" in text and "short (≤ 90 characters)" in text
    assert (report / "eval_chart.png").is_file()
