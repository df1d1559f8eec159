"""Train one version: SFT on the approved texts, then DPO on the pairs, through the existing training
paths (training.train: peft + TRL on CPU, unsloth on a GPU; training.dpo), starting from the brand's
current adapter's weights. The data each phase saw is kept beside the adapter (data/*.jsonl).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from training.dataset import Record
from training.dpo import run_dpo
from training.train import run_training
from training.trainer_config import TrainConfig


@dataclass
class Trained:
    sft_steps: int
    dpo_steps: int
    seconds: float
    backend: str
    meta: dict[str, Any]


def write_jsonl(records: list[Record], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r.model_dump(exclude_none=True), ensure_ascii=False) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def phase_config(
    base: TrainConfig, out_dir: Path, init_adapter: Path | None, max_steps: int, backend: str
) -> TrainConfig:
    """The training config for this version: its data, its directories, the learn overrides."""
    raw = base.model_dump()
    s = base.learn
    hyper = raw["hyper"] | {"max_steps": max_steps}
    dpo = raw["dpo"] | {"max_steps": max_steps, "init_adapter": str(out_dir), "output_dir": str(out_dir)}
    for key in ("per_device_train_batch_size", "gradient_accumulation_steps"):
        if getattr(s, key) is not None:
            hyper[key] = dpo[key] = getattr(s, key)
    if s.learning_rate is not None:
        hyper["learning_rate"] = dpo["learning_rate"] = s.learning_rate
    raw.update(
        data=raw["data"] | {"train": [str(out_dir / "data" / "sft.jsonl")], "extra": []},
        output_dir=str(out_dir),
        run_dir=str(out_dir / "run"),
        init_adapter=str(init_adapter) if init_adapter else None,
        backend=backend,
        save_steps=max_steps + 1,  # no checkpoints: a version is retrained, not resumed
        max_seq_length=s.max_seq_length or base.max_seq_length,
        hyper=hyper,
        dpo=dpo,
    )
    raw["cpu"]["hyper_overrides"] = {}  # learn: its own overrides say how a version trains
    return TrainConfig.model_validate(raw)


def train_version(
    base: TrainConfig,
    out_dir: Path,
    init_adapter: Path | None,
    sft: list[Record],
    pairs: list[Record],
    *,
    max_steps: int,
    backend: str,
    catalog: Catalog,
) -> Trained:
    """Blocking (minutes on a CPU): run it in a thread or a child process."""
    started = time.perf_counter()
    cfg = phase_config(base, out_dir, init_adapter, max_steps, backend)
    write_jsonl(sft, out_dir / "data" / "sft.jsonl")
    meta: dict[str, Any] = {}
    sft_steps = dpo_steps = 0
    used = "cpu"
    if sft:
        result = run_training(cfg, catalog=catalog, echo=False)
        meta, sft_steps, used = result.metadata, result.steps, result.backend
    if pairs:
        pair_file = write_jsonl(pairs, out_dir / "data" / "pairs.jsonl")
        if not sft:  # nothing new to imitate: the preferences start from the current adapter itself
            start = str(init_adapter) if init_adapter else None
            cfg = cfg.model_copy(update={"dpo": cfg.dpo.model_copy(update={"init_adapter": start})})
        dpo = run_dpo(cfg, [pair_file], catalog=catalog)
        dpo_steps = dpo.steps
        meta = {**(meta or dpo.metadata), "dpo": dpo.metadata}
    shutil.rmtree(out_dir / "run", ignore_errors=True)
    return Trained(sft_steps, dpo_steps, round(time.perf_counter() - started, 1), used, meta)
