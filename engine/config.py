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


class EngineConfig(_Strict):
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
