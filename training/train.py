"""`postpulse train`: data -> SFT with LoRA on the chosen path -> adapter dir with metadata.

Why one orchestrator over two model loaders: the data, the trainer arguments, the logs and the
adapter metadata must be identical whichever path trained the adapter.
"""

from __future__ import annotations

import json
import logging
import platform as host_platform
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.config import load_config
from bot.prompts import COMPACT_VERSION
from training import artifacts
from training.dataset import dataset_hash, expand, load_files, to_prompt_completion
from training.errors import BackendUnavailable, CheckpointError, DatasetError
from training.trainer_config import TrainConfig, sft_config_kwargs

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    adapter_dir: Path
    backend: str
    steps: int
    first_loss: float | None
    last_loss: float | None
    seconds: float
    seconds_per_step: float | None
    metadata: dict[str, Any]


def pick_backend(cfg: TrainConfig) -> str:
    from training.train_gpu import gpu_available

    if cfg.backend == "gpu" and not gpu_available():
        raise BackendUnavailable("backend: gpu was asked for, but CUDA or unsloth is missing here")
    if cfg.backend == "auto":
        return "gpu" if gpu_available() else "cpu"
    return cfg.backend


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = sorted(run_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return found[-1] if found else None


def _resume_target(cfg: TrainConfig, resume: bool | str, data_hash: str) -> Path | None:
    run_dir = cfg.path(cfg.run_dir)
    if not resume:
        for old in run_dir.glob("checkpoint-*"):  # a fresh run must not mix with old checkpoints
            shutil.rmtree(old)
        return None
    target = latest_checkpoint(run_dir) if resume is True else Path(str(resume))
    if target is None or not (target / "trainer_state.json").is_file():
        raise CheckpointError(f"no checkpoint to resume from in {run_dir} (train without --resume first)")
    run_file = run_dir / "run.json"
    if run_file.is_file() and json.loads(run_file.read_text()).get("dataset_hash") != data_hash:
        raise CheckpointError(f"{target} was trained on different data; start again without --resume")
    return target


def load_training_data(cfg: TrainConfig, catalog: Catalog) -> tuple[list[Any], list[Path]]:
    files = expand(cfg.data.train) + expand(cfg.data.extra)
    loaded = load_files(files, catalog)
    if not loaded:
        raise DatasetError("the training split is empty")
    return [item.record for item in loaded], files


def run_training(
    cfg: TrainConfig, *, resume: bool | str = False, catalog: Catalog | None = None, echo: bool = True
) -> TrainResult:
    """Train, save the adapter in cfg.output_dir, write logs, curve and metadata."""
    from datasets import Dataset

    catalog = catalog or Catalog.from_config(load_config(env={}))
    records, files = load_training_data(cfg, catalog)
    data_hash = dataset_hash(files)
    backend = pick_backend(cfg)
    run_dir, out_dir = cfg.path(cfg.run_dir), cfg.path(cfg.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = _resume_target(cfg, resume, data_hash)
    (run_dir / "run.json").write_text(json.dumps({"dataset_hash": data_hash, "name": cfg.name}))

    if backend == "gpu":
        from training.train_gpu import gpu_choices, load_gpu_model

        model, tokenizer, base_name, _ = load_gpu_model(cfg)
        choices = gpu_choices()
    else:
        from training.train_cpu import cpu_choices, load_cpu_model

        choices = cpu_choices(cfg)
        for key, value in cfg.cpu.hyper_overrides.items():
            choices["differences"].append(
                f"{key} {value} instead of {getattr(cfg.hyper, key)} (cpu.hyper_overrides: CPU time budget)"
            )
        cfg = cfg.for_cpu()
        model, tokenizer, base_name, _base_dir = load_cpu_model(cfg, choices["bf16"])
    from trl import SFTConfig, SFTTrainer

    dataset = Dataset.from_list([to_prompt_completion(r, catalog, cfg.prompt_format) for r in records])
    kwargs = sft_config_kwargs(
        cfg,
        bf16=choices["bf16"],
        fp16=choices["fp16"],
        optim=choices["optim"],
        gradient_checkpointing=choices["gradient_checkpointing"],
    )
    if backend == "cpu":
        kwargs["use_cpu"] = True
    logger = artifacts.LossLogger(run_dir, append=checkpoint is not None, echo=echo)
    budget = artifacts.TimeBudget(cfg.time_budget_s, run_dir / "STOP")
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**kwargs),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[logger, budget],
    )
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started

    out_dir.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(str(out_dir))
    artifacts.save_adapter_weights_as(out_dir, cfg.adapter_dtype)
    artifacts.portable_adapter_config(out_dir, base_name)
    rows = artifacts.read_log(logger.jsonl)
    for name in ("train_log.jsonl", "train_log.csv"):
        shutil.copyfile(run_dir / name, out_dir / name)
    artifacts.plot_loss(rows, out_dir / "loss_curve.png", f"{cfg.name}: {base_name} LoRA r={cfg.lora.r}")
    step_times = [r["seconds"] for r in rows[1:]] or [r["seconds"] for r in rows]
    per_step = sum(step_times) / len(step_times) if step_times else None
    base_cfg = model.config if not hasattr(model, "get_base_model") else model.get_base_model().config
    import peft
    import torch
    import transformers
    import trl

    meta: dict[str, Any] = {
        "base_model": {
            "name": base_name,
            "source": cfg.base_model,
            "hidden_size": base_cfg.hidden_size,
            "num_hidden_layers": base_cfg.num_hidden_layers,
            "vocab_size": base_cfg.vocab_size,
        },
        "dataset": {
            "hash": data_hash,
            "files": [
                str(f.relative_to(cfg.path("."))) if f.is_relative_to(cfg.path(".")) else str(f)
                for f in files
            ],
            "train_records": len(records),
        },
        "config": cfg.model_dump(),
        # what bot.prompts.adapter_prompt_format reads to serve this adapter the prompt it learned
        "prompt_format": COMPACT_VERSION if cfg.prompt_format == "compact" else "full",
        "backend": backend,
        "precision": "bf16" if choices["bf16"] else "fp16" if choices["fp16"] else "fp32",
        "optimizer": kwargs["optim"],
        "differences_from_spec": choices["differences"],
        "metrics": {
            "steps": output.global_step,
            "epochs": round(float(trainer.state.epoch or 0.0), 3),
            "train_loss_mean": round(float(output.training_loss), 4),
            "first_loss": rows[0]["loss"] if rows else None,
            "last_loss": rows[-1]["loss"] if rows else None,
            "train_seconds": round(seconds, 1),
            "seconds_per_step": round(per_step, 2) if per_step else None,
            "planned_steps": trainer.state.max_steps,
            "stopped_early_at": budget.stopped_at,  # time budget or STOP file, else None
        },
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "trl": trl.__version__,
            "python": host_platform.python_version(),
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    artifacts.write_metadata(out_dir, meta)
    from training import model_card

    model_card.write(out_dir, meta)  # replaces the template PEFT's save_pretrained writes
    log.info("adapter saved to %s", out_dir)
    return TrainResult(
        out_dir,
        backend,
        output.global_step,
        meta["metrics"]["first_loss"],
        meta["metrics"]["last_loss"],
        seconds,
        per_step,
        meta,
    )
