"""Request bodies: read, size-check and type-check JSON before anything reaches the bot core.

The models are strict (no "12" for 12, no null where a value is required) so that what the server
accepts is exactly what /openapi.json documents; catalogue names and configured limits are then
checked by the bot core's own validation (DraftService.brief), which names the field and what is
allowed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from adapters.http.errors import ApiError
from adapters.http.state import CONFIG
from bot.chat import Role

SEED_MAX = 2**32 - 1  # torch generators reject larger seeds, so bound them here
EXTRA_TEXT_MAX = 500  # audience / brand_voice / call_to_action go into the prompt: keep them short

M = TypeVar("M", bound=BaseModel)


def _integral(value: Any) -> Any:
    """JSON Schema counts 12.0 as an integer; strict pydantic would not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral)]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class GenerateTextBody(_Body):
    """POST /generate-text: the spec's fields, the Brief's optional ones, and `stream`."""

    prompt: str
    platform: str | None = None
    tone: str | None = None
    max_length: Int | None = None
    industry: str | None = None
    audience: str | None = Field(None, max_length=EXTRA_TEXT_MAX)
    brand_voice: str | None = Field(None, max_length=EXTRA_TEXT_MAX)
    call_to_action: str | None = Field(None, max_length=EXTRA_TEXT_MAX)
    hashtags: bool | None = None
    variants: Int | None = None
    seed: Int | None = Field(None, ge=0, le=SEED_MAX)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    stream: bool | None = None


class TextPart(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    role: Role
    content: str | list[TextPart]

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    include_usage: bool = False


class ChatCompletionBody(BaseModel):
    """POST /v1/chat/completions; OpenAI fields we do not use (penalties, user, ...) are ignored."""

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1, max_length=64)
    max_tokens: Int | None = None
    max_completion_tokens: Int | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    n: Int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    seed: Int | None = Field(None, ge=0, le=SEED_MAX)
    stop: str | list[str] | None = Field(None)
    tone: str | None = None
    platform: str | None = None
    industry: str | None = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: web.Request, model: type[M]) -> M:
    """413 / 415 / 400 / 422 as ApiError, else the validated body."""
    limit = request.app[CONFIG].http.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"the request body is larger than {limit} bytes", param="body")
    if request.content_type != "application/json":
        raise ApiError(
            415,
            f"send the body as JSON with 'Content-Type: application/json' (got '{request.content_type}')",
            param="Content-Type",
        )
    raw = await request.read()  # client_max_size also stops chunked bodies past the limit
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", param="body") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", param="body")
    try:
        _check_unicode(data, "")
    except RecursionError as exc:
        raise ApiError(400, "the body is nested too deeply", param="body") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, model) from exc


def _check_unicode(value: Any, where: str) -> None:
    """Unpaired surrogates (legal in JSON escapes, not in Unicode text) would break the tokenizer."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApiError(
                400,
                f"'{where or 'body'}' holds invalid Unicode (an unpaired surrogate)",
                param=where or "body",
            ) from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key, where)
            _check_unicode(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_unicode(item, f"{where}.{i}")


def _first_error(exc: ValidationError, model: type[BaseModel]) -> ApiError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(model.model_fields)
        return ApiError(422, f"Unknown field '{field}'. Allowed fields: {allowed}.", param=field)
    if err["type"] == "missing":
        return ApiError(422, f"Missing required field '{field}'.", param=field)
    return ApiError(422, f"Invalid '{field}': {err['msg']}.", param=field)


# The draft routes (adapters/http/routes_drafts.py) -------------------------------------------------

DRAFT_ID_PATTERN = r"^[0-9a-f]{32}$"
REMIX_VALUE_MAX = 100


class RatingBody(_Body):
    """POST /v1/drafts/{id}/rating."""

    rating: Literal["up", "down"]
    variant: Int = Field(0, ge=0)


class ChoiceBody(_Body):
    """POST /v1/drafts/{id}/choice ("use this")."""

    variant: Int = Field(ge=0)


class RemixBody(_Body):
    """POST /v1/drafts/{id}/remix; `value` is the new tone or platform for those two actions."""

    action: Literal["regenerate", "shorter", "longer", "tone", "platform"]
    value: str | None = Field(None, max_length=REMIX_VALUE_MAX)
    stream: bool | None = None
