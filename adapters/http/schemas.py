"""Request bodies: read, size-check and type-check JSON before anything reaches the bot core.

The models are strict (no "12" for 12, no null where a value is required) so that what the server
accepts is exactly what /openapi.json documents: the document is generated from these models
(adapters/http/openapi.py). Catalogue names and configured limits are checked by the bot core's own
validation (DraftService.brief, bot.chat), which names the field and what is allowed; `checked(...)`
documents those bounds on the field without pydantic enforcing them (so the bot's message stays), and
`live(...)` marks a value the running config or catalogue supplies when the document is built.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from adapters.http.errors import ApiError
from adapters.http.state import CONFIG
from bot.brief import SEED_MAX, VISIBLE
from bot.chat import MAX_STOP, Role
from bot.config import (
    KIT_BANNED_MAX,
    KIT_EXAMPLE_MAX,
    KIT_EXAMPLES_MAX,
    KIT_PHRASE_MAX,
    KIT_REQUIRED_MAX,
    KIT_TAGS_MAX,
    KIT_VOICE_MAX,
    TAG,
    EmojiPolicy,
)
from bot.formats.shape import CAROUSEL_PLATFORMS, CAROUSEL_SLIDES, FORMATS, THREAD_PLATFORMS, THREAD_POSTS
from bot.grammar import LINK_PATTERN, MAX_PLATFORMS, URL_MAX
from bot.records import RatingValue, RemixAction
from bot.review_types import MAX_NOTE_CHARS

EXTRA_TEXT_MAX = 500  # audience / brand_voice / call_to_action go into the prompt: keep them short
CHECKED = "x-checked-by-bot"  # json_schema_extra key; openapi.py replaces it with JSON Schema keywords
LIVE = "x-live"

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=web.StreamResponse)


def live(name: str) -> dict[str, str]:
    """A bound known only at start-up: an `engine:` limit (e.g. "max_new_tokens_cap") or a
    catalogue's names ("tones", "platforms", "industries"), aliases included. JSON itself, since
    pydantic copies json_schema_extra into the schema as JSON."""
    return {LIVE: name}


def checked(**keywords: Any) -> dict[str, Any]:
    """`json_schema_extra` for a bound the bot core enforces: JSON Schema keywords for the field's
    non-null branch (`default` stays on the field), values plain or `live(...)`."""
    return {CHECKED: keywords}


def _integral(value: Any) -> Any:
    """JSON Schema counts 12.0 as an integer; strict pydantic would not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral)]
# Constraints before the validator, so the schema says minimum/maximum (not pydantic's ge/le).
Seed = Annotated[int, Field(ge=0, le=SEED_MAX), BeforeValidator(_integral)]
Index = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
Temperature = Annotated[float, Field(ge=0.0, le=2.0, description="below 0.01 = greedy")]
SHORT = checked(maxLength=EXTRA_TEXT_MAX)
TONE = checked(enum=live("tones"))
PLATFORM = checked(enum=live("platforms"))
INDUSTRY = checked(enum=live("industries"))
NAME = "case-insensitive; aliases accepted"


def visible_pattern() -> str:
    """A JSON Schema pattern for "at least one visible character", as bot.brief decides it (Unicode
    letters, numbers, punctuation, symbols). JSON Schema regexes have no \\p{...} classes, so the
    class lists the Basic Multilingual Plane's visible ranges (389 of them); a prompt whose only
    visible characters lie above it (an emoji alone) is accepted but not described."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF or unicodedata.category(chr(code))[0] not in VISIBLE:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "[" + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in ranges) + "]"


VISIBLE_PATTERN = visible_pattern()


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class GenerateTextBody(_Body):
    """POST /generate-text: the spec's fields, the Brief's optional ones, and `stream`."""

    # format, platform and posts together (adapters/http/openapi.py format_rules)
    model_config = ConfigDict(
        title="GenerateTextRequest", json_schema_extra=checked(allOf=live("format_rules"))
    )
    prompt: str = Field(
        description='what the post is about; with `url`, your angle on the page (e.g. "Share this")',
        json_schema_extra=checked(minLength=1, maxLength=live("max_prompt_chars"), pattern=VISIBLE_PATTERN),
    )
    url: str | None = Field(
        None,
        description="a web page to write from: its title, key points and specifics become the brief",
        json_schema_extra=checked(maxLength=URL_MAX, pattern=LINK_PATTERN),
    )
    platform: str | list[str] | None = Field(
        None,
        description=f"{NAME}; a list (or a comma list) gives one draft per platform: "
        '{"drafts": [...]}, as JSON even with stream',
        json_schema_extra=checked(
            enum=live("platforms"), items=live("platform_items"), minItems=1, maxItems=MAX_PLATFORMS
        ),
    )
    tone: str | None = Field(None, description=NAME, json_schema_extra=TONE)
    max_length: Int | None = Field(
        None,
        description="new tokens",
        json_schema_extra=checked(
            minimum=1, maximum=live("max_new_tokens_cap"), default=live("default_max_new_tokens")
        ),
    )
    industry: str | None = Field(None, description=NAME, json_schema_extra=INDUSTRY)
    audience: str | None = Field(None, json_schema_extra=SHORT)
    brand_voice: str | None = Field(None, json_schema_extra=SHORT)
    call_to_action: str | None = Field(None, json_schema_extra=SHORT)
    hashtags: bool | None = None
    variants: Int | None = Field(None, json_schema_extra=checked(minimum=1, maximum=live("max_variants")))
    seed: Seed | None = None
    temperature: Temperature | None = None
    format: str | None = Field(
        None,
        description=f"post (default); thread: {', '.join(THREAD_PLATFORMS)}; carousel: "
        f"{', '.join(CAROUSEL_PLATFORMS)}. Another platform is a 422 naming the ones allowed",
        json_schema_extra=checked(enum=list(FORMATS)),
    )
    posts: Int | None = Field(
        None,
        description=f"a thread's posts ({THREAD_POSTS[0]}-{THREAD_POSTS[1]}) or a carousel's slides "
        f"({CAROUSEL_SLIDES[0]}-{CAROUSEL_SLIDES[1]}); default: by the prompt's length",
        json_schema_extra=checked(minimum=THREAD_POSTS[0], maximum=THREAD_POSTS[1]),
    )
    stream: bool | None = Field(None, description="true: answer with server-sent events")


class TextPart(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    role: Role
    content: str | list[TextPart] = Field(json_schema_extra=checked(maxLength=live("max_prompt_chars")))

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    include_usage: bool = False


class ChatCompletionBody(BaseModel):
    """OpenAI's shape; unknown OpenAI fields (penalties, user, ...) are accepted and ignored."""

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False, title="ChatCompletionRequest")
    model: str | None = Field(None, description="ignored: the server has one model")
    messages: list[ChatMessage] = Field(min_length=1, max_length=64)
    max_tokens: Int | None = Field(
        None, json_schema_extra=checked(minimum=1, maximum=live("max_new_tokens_cap"))
    )
    max_completion_tokens: Int | None = Field(
        None, json_schema_extra=checked(minimum=1, maximum=live("max_new_tokens_cap"))
    )
    temperature: Temperature | None = None
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    n: Int | None = Field(None, json_schema_extra=checked(minimum=1, maximum=live("max_variants")))
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    seed: Seed | None = None
    stop: str | list[str] | None = Field(
        None,
        json_schema_extra=checked(minLength=1, maxItems=MAX_STOP, items={"type": "string", "minLength": 1}),
    )
    tone: str | None = Field(None, description=NAME, json_schema_extra=TONE)
    platform: str | None = Field(None, description=NAME, json_schema_extra=PLATFORM)
    industry: str | None = Field(None, description=NAME, json_schema_extra=INDUSTRY)


_REQUEST_MODELS: dict[Callable[..., Any], type[BaseModel]] = {}


def json_body(
    model: type[M],
) -> Callable[[Callable[[web.Request, M], Awaitable[R]]], Callable[[web.Request], Awaitable[R]]]:
    """A handler that takes `model`, read by `read_json` first; the model is recorded for the route
    (`request_model`), so the OpenAPI test can check every route's body is documented."""

    def wrap(handle: Callable[[web.Request, M], Awaitable[R]]) -> Callable[[web.Request], Awaitable[R]]:
        @functools.wraps(handle)
        async def handler(request: web.Request) -> R:
            return await handle(request, await read_json(request, model))

        _REQUEST_MODELS[handler] = model
        return handler

    return wrap


def request_model(handler: Callable[..., Any]) -> type[BaseModel] | None:
    """The body model a `json_body` handler reads (None for a handler without a body)."""
    return _REQUEST_MODELS.get(handler)


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

    model_config = ConfigDict(title="RatingRequest")
    rating: RatingValue
    variant: Index = 0


class ChoiceBody(_Body):
    """POST /v1/drafts/{id}/choice ("use this")."""

    model_config = ConfigDict(title="ChoiceRequest")
    variant: Index


class RemixBody(_Body):
    """POST /v1/drafts/{id}/remix; `value` is the new tone or platform for those two actions."""

    model_config = ConfigDict(title="RemixRequest")
    action: RemixAction
    value: str | None = Field(
        None,
        max_length=REMIX_VALUE_MAX,
        description="the new tone or platform (actions tone and platform only)",
    )
    stream: bool | None = Field(None, description="true: answer with server-sent events")


# The review routes (adapters/http/routes_review.py) ------------------------------------------------


class ReviewBody(_Body):
    """POST /v1/drafts/{id}/review: send a variant for review."""

    model_config = ConfigDict(title="ReviewRequest")
    variant: Index = Field(0, description="the variant to review")
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="for the reviewer")


class EditBody(_Body):
    """POST /v1/drafts/{id}/edit: a new revision of a variant (the draft's author or a reviewer)."""

    model_config = ConfigDict(title="EditRequest")
    variant: Index = Field(0, description="the variant to edit")
    text: str = Field(min_length=1, description="the new text: not blank, within the draft's platform_limit")


class ApproveBody(_Body):
    """POST /v1/drafts/{id}/approve (reviewers): approve one revision's text."""

    model_config = ConfigDict(title="ApproveRequest")
    variant: Index | None = Field(
        None, description="approve this variant's latest revision (default: the variant under review)"
    )
    revision: Index | None = Field(
        None, description="approve this revision number of the variant instead of its latest"
    )


class ChangesBody(_Body):
    """POST /v1/drafts/{id}/changes (reviewers): send the draft back with a note."""

    model_config = ConfigDict(title="ChangesRequest")
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="what should change")


# The brand kit routes (adapters/http/routes_brands.py) ---------------------------------------------

Tag = Annotated[str, Field(pattern=TAG, description="a hashtag; the '#' is optional")]


class RequiredTextBody(_Body):
    """What every post must carry; the two together fit in KIT_REQUIRED_MAX characters."""

    model_config = ConfigDict(title="BrandKitRequired")
    disclaimer: str | None = Field(None, max_length=KIT_REQUIRED_MAX, description='e.g. "Terms apply."')
    hashtags: list[Tag] | None = Field(None, max_length=KIT_TAGS_MAX, description='e.g. ["#ad"]')


class BrandKitBody(_Body):
    """PUT /v1/brands/{brand}: the fields to set (the others keep their value; null clears one;
    `examples` replaces the brand's example posts)."""

    model_config = ConfigDict(title="BrandKitRequest")
    voice: str | None = Field(None, max_length=KIT_VOICE_MAX, description="in every prompt")
    examples: list[Annotated[str, Field(min_length=1, max_length=KIT_EXAMPLE_MAX)]] | None = Field(
        None, max_length=KIT_EXAMPLES_MAX, description="posts in the brand's style"
    )
    banned: list[Annotated[str, Field(min_length=1, max_length=KIT_PHRASE_MAX)]] | None = Field(
        None, max_length=KIT_BANNED_MAX, description="words and phrases no post may contain"
    )
    required: RequiredTextBody | None = None
    preferred_hashtags: list[Tag] | None = Field(None, max_length=KIT_TAGS_MAX, description="tried first")
    emoji: EmojiPolicy | None = Field(None, description="none, some (two at most), many; null: platform norm")
