"""A config with brand `acme`, a fresh SQLite store and adapters dir, and a lean training config:
short sequences and a learning rate high enough that a sign-off is learned in a few steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

LEAN_TRAINING: dict[str, Any] = {
    "learn": {
        "learning_rate": 2.0e-3,
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "max_seq_length": 256,
        "eval_briefs": 6,
        "guard_briefs": 6,
        "max_new_tokens": 64,
    },
    "hyper": {"warmup_steps": 0, "optim": "adamw_torch"},
}


def write_configs(root: Path, learn: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """(app config, training config) under `root`, the app's catalogs beside it."""
    config_dir = root / "configs"
    config_dir.mkdir(parents=True, exist_ok=True)
    for f in (REPO / "configs").glob("*.yaml"):
        (config_dir / f.name).write_text(f.read_text())
    app = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    app["store"] = {**(app.get("store") or {}), "url": None, "path": str(root / "postpulse.db")}
    app["brands"] = {"acme": {}}
    app["learn"] = {"adapters_dir": str(root / "adapters"), **(learn or {})}
    app_file = config_dir / "learn-test.yaml"
    app_file.write_text(yaml.safe_dump(app))
    train = yaml.safe_load((REPO / "configs" / "training.yaml").read_text())
    train.update({k: {**train.get(k, {}), **v} for k, v in LEAN_TRAINING.items()})
    train_file = config_dir / "training-test.yaml"
    train_file.write_text(yaml.safe_dump(train))
    return app_file, train_file


@pytest.fixture()
def configs(tmp_path: Path) -> tuple[Path, Path]:
    return write_configs(tmp_path)
