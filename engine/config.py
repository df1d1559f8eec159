"""Validated configuration: YAML files -> pydantic models, with errors naming the file and key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG_PATH = CONFIG_DIR / "default.yaml"

# One documented override per deployment-specific value: env var -> dotted config key.
ENV_OVERRIDES: dict[str, str] = {
    "POSTPULSE_MODEL_SOURCE": "model.source",
    "POSTPULSE_ADAPTER": "model.adapter",
    "POSTPULSE_DEVICE": "model.device",
    "POSTPULSE_DTYPE": "model.dtype",
    "POSTPULSE_CACHE_DIR": "model.cache_dir",
    "POSTPULSE_HOST": "http.host",
    "POSTPULSE_PORT": "http.port",
    "POSTPULSE_STORE_PATH": "store.path",
}


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


class EngineConfig(_Strict):
    max_batch_size: int = Field(64, ge=1, le=1024)
    max_queue: int = Field(256, ge=0, le=100_000)
    request_timeout_s: float = Field(120.0, gt=0)
    default_max_new_tokens: int = Field(150, ge=1)
    max_new_tokens_cap: int = Field(1024, ge=1)
    max_prompt_chars: int = Field(4000, ge=1)
    max_variants: int = Field(5, ge=1, le=16)
    max_prefill_tokens: int = Field(4096, ge=64)


class HttpConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(65536, ge=1024)
    api_keys_env: str = "POSTPULSE_API_KEYS"
    rate_limit_per_minute: int = Field(120, ge=0)


class StoreConfig(_Strict):
    path: str | None = None


class CatalogFiles(_Strict):
    tones: str = "tones.yaml"
    platforms: str = "platforms.yaml"
    industries: str = "industries.yaml"


class AppConfig(BaseModel):
    # Sections owned by other packages (chat adapters) may add keys, so the top level is lenient.
    model_config = ConfigDict(extra="allow")

    model: ModelConfig = ModelConfig()
    engine: EngineConfig = EngineConfig()
    http: HttpConfig = HttpConfig()
    store: StoreConfig = StoreConfig()
    catalogs: CatalogFiles = CatalogFiles()
    config_dir: Path = CONFIG_DIR


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


def _set_dotted(data: dict[str, Any], dotted: str, value: str) -> None:
    section, key = dotted.split(".", 1)
    data.setdefault(section, {})
    if not isinstance(data[section], dict):
        raise ConfigError(f"config: {section}: expected a mapping")
    data[section][key] = value if value != "" else None


def load_config(path: Path | str | None = None, env: dict[str, str] | None = None) -> AppConfig:
    """Load the app config; env overrides (ENV_OVERRIDES) win over the file."""
    config_path = Path(path) if path else DEFAULT_CONFIG_PATH
    env = dict(os.environ) if env is None else env
    data = read_yaml(config_path)
    for var, dotted in ENV_OVERRIDES.items():
        if var in env:
            _set_dotted(data, dotted, env[var])
    data["config_dir"] = config_path.resolve().parent
    return validate(AppConfig, data, config_path)
