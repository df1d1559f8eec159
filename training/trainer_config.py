"""configs/training.yaml -> a validated TrainConfig, and the pure functions that turn it into the
keyword arguments of each training path.

Why pure kwargs builders: the GPU path cannot run without CUDA, but its wiring (the spec's table)
can be unit-tested here; both paths read the same hyper-parameters from one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from training.errors import TrainConfigError

REPO = Path(__file__).resolve().parent.parent
ALL_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    train: list[str] = ["data/starter/train/*.jsonl"]
    heldout: list[str] = ["data/starter/heldout/*.jsonl"]
    extra: list[str] = []  # imported posts, feedback records: added to the training split
    preferences: list[str] = ["data/feedback/*.jsonl"]  # `postpulse feedback export --format dpo` output


class LoraSettings(_Strict):
    r: int = Field(16, ge=1)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: list(ALL_PROJECTIONS))


class HyperParameters(_Strict):
    """The spec's fine-tuning table."""

    per_device_train_batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(4, ge=1)
    warmup_steps: int = Field(1, ge=0)
    learning_rate: float = Field(2e-4, gt=0)
    optim: str = "adamw_8bit"
    weight_decay: float = Field(0.01, ge=0)
    lr_scheduler_type: str = "linear"
    logging_steps: int = Field(1, ge=1)
    num_train_epochs: float = Field(1.0, gt=0)
    max_steps: int = -1  # > 0 overrides epochs
    seed: int = 3407


class GpuSettings(_Strict):
    load_in_4bit: bool = True
    use_gradient_checkpointing: str | bool = "unsloth"


class CpuSettings(_Strict):
    gradient_checkpointing: bool = False
    fallback_optim: str = "adamw_torch"  # when bitsandbytes' 8-bit AdamW is unavailable
    threads: int | None = None
    # hyper-parameters that differ on CPU, e.g. {gradient_accumulation_steps: 1, max_steps: 8}
    hyper_overrides: dict[str, Any] = {}


class DpoSettings(_Strict):
    """`postpulse train --method dpo`: preference pairs on top of the SFT adapter."""

    init_adapter: str = "training/lora/postpulse-smollm2"
    output_dir: str = "training/lora/postpulse-smollm2-dpo"
    beta: float = Field(0.1, gt=0)
    learning_rate: float = Field(5e-5, gt=0)
    per_device_train_batch_size: int = Field(2, ge=1)
    gradient_accumulation_steps: int = Field(4, ge=1)
    num_train_epochs: float = Field(1.0, gt=0)
    max_steps: int = -1


class LearnSettings(_Strict):
    """`postpulse learn`: how the loop trains a brand's next version and how much the gate's eval
    generates (CPU time: every figure is drafted by both the candidate and the current adapter)."""

    learning_rate: float | None = Field(None, gt=0)  # None: hyper.learning_rate (SFT) / dpo.learning_rate
    per_device_train_batch_size: int | None = Field(None, ge=1)  # None: hyper's
    gradient_accumulation_steps: int | None = Field(None, ge=1)  # None: hyper's
    max_seq_length: int | None = Field(None, ge=32)  # None: max_seq_length
    eval_briefs: int = Field(8, ge=1)  # held-out brand posts whose briefs each adapter drafts
    guard_briefs: int = Field(8, ge=1)  # briefs of data/starter/heldout_specifics.jsonl for the guards
    max_new_tokens: int = Field(96, ge=8, le=1024)
    temperature: float = Field(0.7, ge=0)
    seed: int = 1900


class TrainConfig(_Strict):
    name: str = "postpulse-smollm2"
    base_model: str = "embedded"  # as engine ModelConfig.source: embedded | HF dir | .gguf
    cache_dir: str | None = None
    data: DataConfig = DataConfig()
    output_dir: str = "training/lora/postpulse-smollm2"
    run_dir: str = "training/runs/postpulse-smollm2"  # checkpoints (git-ignored)
    backend: Literal["auto", "cpu", "gpu"] = "auto"
    # compact: the short control header the PostPulse adapter is trained on and served with
    prompt_format: Literal["full", "compact"] = "compact"
    # start the LoRA from an existing adapter's weights (same r and modules) instead of from zero
    init_adapter: str | None = None
    # stop cleanly after this many seconds of training (or when <run_dir>/STOP exists); null: no limit
    time_budget_s: float | None = Field(None, gt=0)
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    max_seq_length: int = Field(1024, ge=32)
    save_steps: int = Field(10, ge=1)
    adapter_dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    lora: LoraSettings = LoraSettings()
    hyper: HyperParameters = HyperParameters()
    gpu: GpuSettings = GpuSettings()
    cpu: CpuSettings = CpuSettings()
    dpo: DpoSettings = DpoSettings()
    learn: LearnSettings = LearnSettings()

    def for_cpu(self) -> TrainConfig:
        """This config with `cpu.hyper_overrides` applied to `hyper` (validated)."""
        if not self.cpu.hyper_overrides:
            return self
        try:
            hyper = HyperParameters.model_validate({**self.hyper.model_dump(), **self.cpu.hyper_overrides})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise TrainConfigError(f"cpu.hyper_overrides.{err['loc'][0]}: {err['msg']}") from exc
        return self.model_copy(update={"hyper": hyper})

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else REPO / p


def load_train_config(path: Path | str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read the YAML, apply dotted overrides ({'hyper.max_steps': 3}), validate with key names."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise TrainConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TrainConfigError(f"{path}: YAML syntax error: {exc}") from exc
    if not isinstance(data, dict):
        raise TrainConfigError(f"{path}: expected a mapping at the top level")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise TrainConfigError(f"{path}: {key}: {err['msg']}") from exc


def lora_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    """peft.LoraConfig arguments (CPU path)."""
    return {
        "r": cfg.lora.r,
        "lora_alpha": cfg.lora.alpha,
        "lora_dropout": cfg.lora.dropout,
        "target_modules": list(cfg.lora.target_modules),
        "bias": "none",
        "task_type": "CAUSAL_LM",
    }


def unsloth_model_kwargs(cfg: TrainConfig, model_dir: str) -> dict[str, Any]:
    """FastLanguageModel.from_pretrained arguments (dtype=None: unsloth picks bf16/fp16)."""
    return {
        "model_name": model_dir,
        "max_seq_length": cfg.max_seq_length,
        "dtype": None,
        "load_in_4bit": cfg.gpu.load_in_4bit,
        "local_files_only": True,
    }


def unsloth_peft_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    """FastLanguageModel.get_peft_model arguments: the CPU path's LoRA plus unsloth's own."""
    shared = {key: value for key, value in lora_kwargs(cfg).items() if key != "task_type"}
    return {
        **shared,
        "use_gradient_checkpointing": cfg.gpu.use_gradient_checkpointing,
        "random_state": cfg.hyper.seed,
    }


def resolve_precision(cfg: TrainConfig, *, bf16_supported: bool) -> tuple[bool, bool]:
    """(bf16, fp16): the spec's 'bf16 where supported else fp16'; fp32 where asked."""
    if cfg.precision == "bf16":
        return True, False
    if cfg.precision == "fp16":
        return False, True
    if cfg.precision == "fp32":
        return False, False
    return (True, False) if bf16_supported else (False, True)


def sft_config_kwargs(
    cfg: TrainConfig,
    *,
    bf16: bool,
    fp16: bool,
    optim: str | None = None,
    gradient_checkpointing: bool = False,
) -> dict[str, Any]:
    """trl.SFTConfig arguments shared by both paths: the spec's table, answer-only loss."""
    h = cfg.hyper
    return {
        "output_dir": str(cfg.path(cfg.run_dir)),
        "per_device_train_batch_size": h.per_device_train_batch_size,
        "gradient_accumulation_steps": h.gradient_accumulation_steps,
        "warmup_steps": h.warmup_steps,
        "learning_rate": h.learning_rate,
        "optim": optim or h.optim,
        "weight_decay": h.weight_decay,
        "lr_scheduler_type": h.lr_scheduler_type,
        "logging_steps": h.logging_steps,
        "num_train_epochs": h.num_train_epochs,
        "max_steps": h.max_steps,
        "seed": h.seed,
        "bf16": bf16,
        "fp16": fp16,
        "max_length": cfg.max_seq_length,
        "completion_only_loss": True,  # prompt-completion records: loss on the assistant's post only
        "packing": False,
        "gradient_checkpointing": gradient_checkpointing,
        "save_strategy": "steps",
        "save_steps": cfg.save_steps,
        "save_total_limit": 2,
        "report_to": "none",
        "dataset_num_proc": 1,
        "disable_tqdm": False,
    }
