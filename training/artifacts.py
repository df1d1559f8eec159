"""What a training run leaves behind: the per-step loss log (JSONL + CSV), the console line per
step, the PNG loss curve, and the adapter directory with its `postpulse.json` metadata.

Why its own module: both training paths (CPU/GPU) write the same artifacts, and the engine's
`check_adapter_base` reads the metadata's `base_model` block to refuse a mismatching adapter.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

log = logging.getLogger(__name__)

LOG_FIELDS = ("step", "epoch", "loss", "learning_rate", "grad_norm", "seconds")


class TimeBudget(TrainerCallback):
    """Stop cleanly (the adapter, log and metadata are still written) once `seconds` have passed or
    `stop_file` appears: a shared CPU's speed is not known in advance, a deadline is."""

    def __init__(self, seconds: float | None, stop_file: Path | None = None) -> None:
        self.seconds = seconds
        self.stop_file = stop_file
        self.started = time.perf_counter()
        self.stopped_at: int | None = None

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        over = self.seconds is not None and time.perf_counter() - self.started > self.seconds
        if over or (self.stop_file is not None and self.stop_file.exists()):
            control.should_training_stop = True
            self.stopped_at = state.global_step


class LossLogger(TrainerCallback):
    """Appends every logged step to train_log.jsonl/.csv and prints one line (above the bar)."""

    def __init__(self, out_dir: Path, *, append: bool = False, echo: bool = True) -> None:
        self.jsonl = out_dir / "train_log.jsonl"
        self.csv = out_dir / "train_log.csv"
        self.echo = echo
        out_dir.mkdir(parents=True, exist_ok=True)
        if not append or not self.csv.exists():
            self.jsonl.write_text("")
            with self.csv.open("w", newline="") as handle:
                csv.writer(handle).writerow(LOG_FIELDS)
        self._last = time.perf_counter()
        self.rows: list[dict[str, Any]] = []

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._last = time.perf_counter()

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        if not logs or "loss" not in logs:
            return
        now = time.perf_counter()
        row = {
            "step": state.global_step,
            "epoch": round(float(logs.get("epoch", state.epoch or 0.0)), 4),
            "loss": float(logs["loss"]),
            "learning_rate": float(logs.get("learning_rate", 0.0)),
            "grad_norm": float(logs["grad_norm"]) if logs.get("grad_norm") is not None else None,
            "seconds": round(now - self._last, 3),
        }
        self._last = now
        self.rows.append(row)
        with self.jsonl.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        with self.csv.open("a", newline="") as handle:
            csv.writer(handle).writerow([row[k] for k in LOG_FIELDS])
        if self.echo:
            from tqdm.auto import tqdm

            tqdm.write(
                f"step {row['step']:>4}  epoch {row['epoch']:.2f}  loss {row['loss']:.4f}  "
                f"lr {row['learning_rate']:.2e}  {row['seconds']:.1f}s"
            )


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_loss(rows: list[dict[str, Any]], out: Path, title: str) -> Path | None:
    """PNG of training loss per optimizer step."""
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], marker="o", markersize=2.5, linewidth=1.2)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (assistant tokens)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def save_adapter_weights_as(adapter_dir: Path, dtype_name: str) -> None:
    """Re-save adapter_model.safetensors in bf16/fp16: half the size, no loss that matters at r=16."""
    import torch
    from safetensors.torch import load_file, save_file

    target = getattr(torch, dtype_name)
    path = adapter_dir / "adapter_model.safetensors"
    tensors = load_file(str(path))
    save_file(
        {k: v.to(target).contiguous() for k, v in tensors.items()}, str(path), metadata={"format": "pt"}
    )


def portable_adapter_config(adapter_dir: Path, base_name: str) -> None:
    """peft writes the absolute cache path of the base; keep the model's name instead."""
    path = adapter_dir / "adapter_config.json"
    meta = json.loads(path.read_text())
    meta["base_model_name_or_path"] = base_name
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def write_metadata(adapter_dir: Path, meta: dict[str, Any]) -> Path:
    path = adapter_dir / "postpulse.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
    return path
