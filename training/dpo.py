"""`postpulse train --method dpo`: learn from ratings with TRL's DPOTrainer.

The pairs are what `postpulse feedback export --format dpo` writes (training.dataset.Record with
`chosen` and `rejected`). Training continues the shipped SFT adapter (`dpo.init_adapter`): TRL copies
it into a frozen "ref" adapter, so the reference policy is the SFT model itself, with no second model
in memory. Only the trained ("default") adapter is saved, so the engine loads it like any other.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bot.catalog import Catalog
from bot.config import load_config
from bot.prompts import COMPACT_VERSION, Message
from training import artifacts
from training.dataset import Record, dataset_hash, expand, load_files
from training.errors import DatasetError
from training.trainer_config import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class DpoResult:
    adapter_dir: Path
    steps: int
    pairs: int
    seconds: float
    metadata: dict[str, Any]


def to_preference(record: Record, catalog: Catalog, cfg: TrainConfig) -> dict[str, list[Message]]:
    """TRL's conversational preference shape, with the prompt the adapter is served with."""
    return {
        "prompt": record.messages(catalog, cfg.prompt_format),
        "chosen": [{"role": "assistant", "content": str(record.chosen)}],
        "rejected": [{"role": "assistant", "content": str(record.rejected)}],
    }


def load_pairs(files: list[Path], catalog: Catalog) -> list[Record]:
    pairs = [item.record for item in load_files(files, catalog) if item.record.is_preference]
    if not pairs:
        raise DatasetError(
            f"no preference pairs in {', '.join(map(str, files))} "
            "(export them with `postpulse feedback export --format dpo`)"
        )
    return pairs


@torch.no_grad()
def preference_margin(model: Any, tokenizer: Any, rows: list[dict[str, list[Message]]]) -> float:
    """Mean log p(chosen | prompt) - log p(rejected | prompt) over the completions' tokens."""
    model.eval()
    margins = []
    for row in rows:
        head = tokenizer.apply_chat_template(
            row["prompt"], add_generation_prompt=True, tokenize=True, return_dict=False
        )
        logps = []
        for key in ("chosen", "rejected"):
            ids = tokenizer.apply_chat_template(row["prompt"] + row[key], tokenize=True, return_dict=False)
            input_ids = torch.tensor([ids])
            logits = model(input_ids=input_ids).logits.float()[0, :-1]
            targets = input_ids[0, 1:]
            token_logps = torch.log_softmax(logits, -1).gather(1, targets[:, None])[:, 0]
            logps.append(float(token_logps[len(head) - 1 :].sum()))
        margins.append(logps[0] - logps[1])
    return sum(margins) / len(margins) if margins else math.nan


def dpo_config_kwargs(cfg: TrainConfig, *, bf16: bool, optim: str) -> dict[str, Any]:
    h, d = cfg.hyper, cfg.dpo
    return {
        "output_dir": str(cfg.path(cfg.run_dir) / "dpo"),
        "per_device_train_batch_size": d.per_device_train_batch_size,
        "gradient_accumulation_steps": d.gradient_accumulation_steps,
        "learning_rate": d.learning_rate,
        "beta": d.beta,
        "num_train_epochs": d.num_train_epochs,
        "max_steps": d.max_steps,
        "warmup_steps": h.warmup_steps,
        "weight_decay": h.weight_decay,
        "lr_scheduler_type": h.lr_scheduler_type,
        "optim": optim,
        "seed": h.seed,
        "bf16": bf16,
        "max_length": cfg.max_seq_length,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": not torch.cuda.is_available(),
        "dataset_num_proc": 1,
        "disable_tqdm": True,
    }


def run_dpo(
    cfg: TrainConfig, pair_files: list[Path] | None = None, *, catalog: Catalog | None = None
) -> DpoResult:
    """DPO on the pairs, starting from cfg.dpo.init_adapter; the adapter goes to cfg.dpo.output_dir."""
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from training.train_cpu import cpu_choices, load_cpu_model

    catalog = catalog or Catalog.from_config(load_config(env={}))
    files = pair_files or expand(cfg.data.preferences)
    pairs = load_pairs(files, catalog)
    choices = cpu_choices(cfg)
    start = cfg.model_copy(update={"init_adapter": cfg.dpo.init_adapter})
    model, tokenizer, base_name, _ = load_cpu_model(start, choices["bf16"])
    dataset = Dataset.from_list([to_preference(r, catalog, cfg) for r in pairs])
    run_dir = cfg.path(cfg.run_dir) / "dpo"
    logger = artifacts.LossLogger(run_dir, echo=False)
    # as for SFT: a shared CPU's speed is unknown, so stop cleanly at time_budget_s or <run_dir>/dpo/STOP
    budget = artifacts.TimeBudget(cfg.time_budget_s, run_dir / "STOP")
    trainer = DPOTrainer(
        model=model,
        args=DPOConfig(**dpo_config_kwargs(cfg, bf16=choices["bf16"], optim=choices["optim"])),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[logger, budget],
    )
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    out_dir = cfg.path(cfg.dpo.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(str(out_dir), selected_adapters=["default"])  # type: ignore[union-attr,operator]
    artifacts.save_adapter_weights_as(out_dir, cfg.adapter_dtype)
    artifacts.portable_adapter_config(out_dir, base_name)
    for name in ("train_log.jsonl", "train_log.csv"):
        shutil.copyfile(run_dir / name, out_dir / name)
    rows = artifacts.read_log(logger.jsonl)
    meta: dict[str, Any] = {
        "method": "dpo",
        "base_model": {"name": base_name, "source": cfg.base_model},
        "init_adapter": cfg.dpo.init_adapter,
        "prompt_format": COMPACT_VERSION if cfg.prompt_format == "compact" else "full",
        "dataset": {"hash": dataset_hash(files), "pairs": len(pairs)},
        "dpo": cfg.dpo.model_dump(),
        "metrics": {
            "steps": output.global_step,
            "train_loss_mean": round(float(output.training_loss), 4),
            "first_loss": rows[0]["loss"] if rows else None,
            "last_loss": rows[-1]["loss"] if rows else None,
            "train_seconds": round(seconds, 1),
            "stopped_early_at": budget.stopped_at,  # time budget or STOP file, else None
        },
    }
    artifacts.write_metadata(out_dir, meta)
    log.info("DPO adapter saved to %s", out_dir)
    return DpoResult(out_dir, output.global_step, len(pairs), seconds, meta)
