"""`postpulse` CLI: one clear error line and a non-zero exit for bad input; JSON for good input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "POSTPULSE_DTYPE": "float32"}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["generate", "Phone launch", "--tone", "angry"], "Unknown tone 'angry'"),
        (["generate", "Phone launch", "--platform", "myspace"], "Unknown platform 'myspace'"),
        (["generate", ""], "prompt is empty"),
        (["generate", "x" * 10_000], "limit is 4,000"),
        (["generate", "Phone launch", "--max-length", "0"], "max_length must be between 1 and"),
        (["generate", "Phone launch", "--max-length", "100000"], "max_length must be between 1 and"),
    ],
)
def test_bad_input_one_line_no_traceback(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_broken_yaml_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("engine:\n  max_batch_size: [1,\n")
    result = run_cli("generate", "Phone launch", "--config", str(bad))
    assert result.returncode == 2
    assert "YAML syntax error" in result.stderr and str(bad) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("generate", "serve", "train", "eval"):
        assert command in result.stdout


@pytest.mark.model
def test_generate_json_has_spec_fields() -> None:
    result = run_cli(
        "generate",
        "New smartphone release",
        "--tone",
        "casual",
        "--platform",
        "x",
        "--industry",
        "technology",
        "--max-length",
        "24",
        "--seed",
        "3",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["generated_text"] and len(data["generated_text"]) <= 280
    assert data["generation_time"].endswith("s") and float(data["generation_time"][:-1]) >= 0
    assert data["word_count"] == len(data["generated_text"].split())
    assert data["platform_limit"] == 280
