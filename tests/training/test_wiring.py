"""Training config and the GPU path's wiring (the spec's table), checked without a GPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from training import cli, train_gpu
from training.errors import BackendUnavailable, TrainConfigError
from training.train_cpu import cpu_choices
from training.trainer_config import (
    ALL_PROJECTIONS,
    TrainConfig,
    load_train_config,
    resolve_precision,
    sft_config_kwargs,
    unsloth_model_kwargs,
    unsloth_peft_kwargs,
)

REPO = Path(__file__).resolve().parents[2]
SPEC_TABLE = {
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 4,
    "warmup_steps": 1,
    "learning_rate": 2e-4,
    "optim": "adamw_8bit",
    "weight_decay": 0.01,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
}


@pytest.fixture(scope="module")
def cfg() -> TrainConfig:
    return load_train_config(REPO / "configs" / "training.yaml")


def test_shipped_config_is_the_spec_table(cfg: TrainConfig) -> None:
    kwargs = sft_config_kwargs(cfg, bf16=True, fp16=False)
    assert {k: kwargs[k] for k in SPEC_TABLE} == SPEC_TABLE
    assert kwargs["completion_only_loss"] is True and kwargs["packing"] is False
    assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (16, 16, 0.0)
    assert cfg.lora.target_modules == ALL_PROJECTIONS


def test_precision_bf16_where_supported_else_fp16(cfg: TrainConfig) -> None:
    assert resolve_precision(cfg, bf16_supported=True) == (True, False)
    assert resolve_precision(cfg, bf16_supported=False) == (False, True)
    fp32 = cfg.model_copy(update={"precision": "fp32"})
    assert resolve_precision(fp32, bf16_supported=True) == (False, False)


class FakeFastLanguageModel:
    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    class _Tok:
        pad_token_id = None
        eos_token = "<|im_end|>"
        pad_token: str | None = None

    @classmethod
    def from_pretrained(cls, **kwargs: Any) -> tuple[str, Any]:
        cls.calls.append(("from_pretrained", kwargs))
        return "model", cls._Tok()

    @classmethod
    def get_peft_model(cls, model: str, **kwargs: Any) -> str:
        cls.calls.append(("get_peft_model", kwargs))
        return "peft-model"


def test_gpu_path_calls_unsloth_with_spec_values(cfg: TrainConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_gpu, "import_unsloth", lambda: FakeFastLanguageModel)
    monkeypatch.setattr(train_gpu, "resolve_source", lambda mc: (Path("/models/base"), "Base"))
    FakeFastLanguageModel.calls = []
    model, tokenizer, name, source = train_gpu.load_gpu_model(cfg)
    assert (model, name, source) == ("peft-model", "Base", "/models/base")
    (first, load), (second, peft) = FakeFastLanguageModel.calls
    assert first == "from_pretrained" and load == unsloth_model_kwargs(cfg, "/models/base")
    assert load["load_in_4bit"] is True and load["dtype"] is None and load["local_files_only"] is True
    assert second == "get_peft_model" and peft == unsloth_peft_kwargs(cfg)
    assert peft["use_gradient_checkpointing"] == "unsloth"
    assert (peft["r"], peft["lora_alpha"], peft["lora_dropout"]) == (16, 16, 0.0)
    assert peft["target_modules"] == ALL_PROJECTIONS
    assert tokenizer.pad_token == "<|im_end|>"


def test_sft_config_accepts_the_kwargs(cfg: TrainConfig, tmp_path: Path) -> None:
    """The kwargs are real SFTConfig arguments (same TRL API on 1.15 and 1.16)."""
    from trl import SFTConfig

    kwargs = sft_config_kwargs(cfg.model_copy(update={"run_dir": str(tmp_path)}), bf16=False, fp16=False)
    config = SFTConfig(**kwargs, use_cpu=True)
    assert config.learning_rate == 2e-4 and config.optim == "adamw_8bit"
    assert config.gradient_accumulation_steps == 4 and config.completion_only_loss is True


def test_unsloth_is_guarded_here() -> None:
    if train_gpu.gpu_available():
        pytest.skip("a GPU with unsloth is present")
    with pytest.raises(BackendUnavailable, match="CUDA and unsloth"):
        train_gpu.import_unsloth()


def test_cpu_choices_name_their_differences(cfg: TrainConfig) -> None:
    choices = cpu_choices(cfg)
    assert choices["optim"] in ("adamw_8bit", cfg.cpu.fallback_optim)
    assert choices["fp16"] is False
    assert any("4-bit" in d for d in choices["differences"])


def test_config_errors_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("lora:\n  r: zero\n")
    with pytest.raises(TrainConfigError, match=r"lora\.r"):
        load_train_config(bad)
    assert cli.main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lora.r" in err and "Traceback" not in err


def test_gpu_backend_refused_without_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if train_gpu.gpu_available():
        pytest.skip("a GPU with unsloth is present")
    code = cli.main(
        [
            "train",
            "--backend",
            "gpu",
            "--set",
            f"run_dir={tmp_path}",
            "--set",
            f"output_dir={tmp_path / 'out'}",
        ]
    )
    assert code == 2 and "CUDA or unsloth" in capsys.readouterr().err
