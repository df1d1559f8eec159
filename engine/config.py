"""Engine configuration (model, limits) and the YAML + pydantic helpers every package validates with.

Errors name the file and the dotted key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    source: str = "embedded"
    adapter: str | None = None
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    load_in_4bit: bool = False
    use_unsloth: Literal["auto", "yes", "no"] | bool = "auto"
    cache_dir: str | None = None


class OpenAIConfig(_Strict):
    """A remote OpenAI-compatible server (vLLM fleet, TGI, llama.cpp server, Ollama)."""

    base_url: str = Field("http://127.0.0.1:8000/v1", pattern=r"^https?://")
    model: str | None = None  # None: the first model the server lists at /models
    api_key_env: str = "POSTPULSE_OPENAI_API_KEY"  # names the variable holding the key; never the key
    # vllm: also send top_k, repetition_penalty, ignore_eos and return_token_ids (vLLM, and servers that
    # ignore unknown fields); openai: only the official sampling fields, for strict servers.
    dialect: Literal["vllm", "openai"] = "vllm"
    connect_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(60.0, gt=0)  # longest silence allowed between two stream chunks
    max_in_flight: int = Field(64, ge=1, le=10_000)
    retries: int = Field(3, ge=0, le=20)  # on 429/502/503/504 or a refused connection, before any token
    backoff_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(8.0, ge=0)


class VllmConfig(_Strict):
    """The managed vLLM child: PostPulse starts it from its own venv and talks to it over loopback."""

    venv: str = ".venv-vllm"  # relative to the repo root; made by scripts/setup-vllm.sh
    port: int = Field(0, ge=0, le=65535)  # 0: a free loopback port
    # auto: model.dtype when set, else bf16 on a CPU with bf16 units (fp32 without), vLLM's choice on CUDA
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    # KV cache (--kv-cache-memory-bytes; CPU build): 0.5 GiB holds ~23k tokens of the embedded model
    # (22.5 KiB a token in bf16), e.g. 48 candidates of 450 tokens at once; more waits, nothing fails
    kv_cache_gib: float = Field(0.5, gt=0, le=1024)
    max_model_len: int = Field(2048, ge=128)
    max_num_seqs: int = Field(64, ge=1)
    cpu_threads: str | None = None  # VLLM_CPU_OMP_THREADS_BIND core list, e.g. "0-1"; None: every core
    adapter_mode: Literal["merged", "lora"] = "merged"  # merged on CPU (LoRA unmerged costs 4x); lora on GPUs
    extra_args: list[str] = Field(default_factory=list)
    startup_timeout_s: float = Field(600.0, gt=0)  # 35-100 s on 2 idle cores; far longer under load
    # the child's nice value while it starts (0: none), so its start-up takes what the in-process
    # engine's first drafts leave (engine.backends.priority); back to 0 once it serves, or after
    # start_nice_s, so other load on the machine cannot hold its start-up back for long
    start_nice: int = Field(10, ge=0, le=19)
    start_nice_s: float = Field(30.0, ge=0)
    restart_backoff_s: float = Field(1.0, ge=0)
    restart_backoff_max_s: float = Field(30.0, ge=0)
    max_restarts: int = Field(5, ge=0)  # consecutive failed restarts before the engine is dead
    fallback: bool = True  # fall back to transformers (and log why) when vLLM cannot start
    # serve on the in-process transformers engine while the child starts (and restarts), then hand new
    # requests to vLLM once it is up and warm (engine.backends.handoff)
    handoff: bool = True
    log_file: str | None = None  # the child's output; default: <cache>/vllm/server.log


class EngineConfig(_Strict):
    backend: Literal["transformers", "vllm", "openai"] = "transformers"
    openai: OpenAIConfig = OpenAIConfig()
    vllm: VllmConfig = VllmConfig()
    max_batch_size: int = Field(64, ge=1, le=1024)
    max_queue: int = Field(256, ge=0, le=100_000)
    request_timeout_s: float = Field(120.0, gt=0)
    default_max_new_tokens: int = Field(150, ge=1)
    max_new_tokens_cap: int = Field(1024, ge=1)
    max_prompt_chars: int = Field(4000, ge=1)
    max_variants: int = Field(5, ge=1, le=16)
    max_prefill_tokens: int = Field(4096, ge=64)


M = TypeVar("M", bound=BaseModel)


def format_validation_error(source: Path | str, exc: ValidationError) -> str:
    """One line per problem: `file: dotted.key: what is wrong`."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"{source}: {key}: {err['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def validate(model: type[M], data: dict[str, Any], source: Path | str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from exc
