"""The OpenAPI 3.1 document for every route.

Every schema is generated (pydantic's JSON Schema, `$defs` moved to components/schemas): request
bodies from the models that read them (adapters/http/schemas.py), with the bounds the bot core checks
and the catalogue enums filled in from the running config and catalogues at build time, as vLLM's
entrypoints/openai/protocol.py feeds its server; responses from adapters/http/responses.py. What is
written here is only what no model knows: paths, summaries, statuses, SSE events and the example.
The test suite runs schemathesis against the document and checks that every route's body model is
referenced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter

from adapters.http.openapi_brands import brand_paths
from adapters.http.openapi_drafts import DRAFT_ID, body_errors, draft_paths
from adapters.http.openapi_review import review_paths
from adapters.http.responses import RESPONSES
from adapters.http.schemas import (
    CHECKED,
    LIVE,
    ApproveBody,
    BrandKitBody,
    ChangesBody,
    ChatCompletionBody,
    ChoiceBody,
    EditBody,
    GenerateTextBody,
    RatingBody,
    RemixBody,
    ReviewBody,
)
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.formats.shape import CAROUSEL_PLATFORMS, CAROUSEL_SLIDES, THREAD_PLATFORMS

Schema = dict[str, Any]
JSON = "application/json"
REF = "#/components/schemas/{model}"
REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    GenerateTextBody,
    ChatCompletionBody,
    RatingBody,
    ChoiceBody,
    RemixBody,
    ReviewBody,
    EditBody,
    ApproveBody,
    ChangesBody,
    BrandKitBody,
)
# Which branch of a nullable (anyOf) field a checked keyword belongs to.
_BRANCH_TYPES = {
    **dict.fromkeys(("enum", "minLength", "maxLength", "pattern"), ("string",)),
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum"), ("integer", "number")),
    **dict.fromkeys(("minItems", "maxItems", "items"), ("array",)),
}


def _names(entries: dict[str, Any]) -> list[str]:
    names = set(entries)
    for entry in entries.values():
        names.update(entry.aliases)
    return sorted(names)


def _ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def component_name(model: type[Any]) -> str:
    """A model's name in components/schemas: a request model's title (the document's historical
    names), else the class name."""
    config = model.model_config if issubclass(model, BaseModel) else {}
    return str(config.get("title") or model.__name__)


def live_values(config: AppConfig, catalog: Catalog) -> dict[str, Any]:
    """What a `live(...)` bound can name: every `engine:` limit and each catalogue's accepted names."""
    return {
        **config.engine.model_dump(),
        "tones": _names(catalog.tones),
        "platforms": _names(catalog.platforms),
        "platform_items": {"type": "string", "enum": _names(catalog.platforms)},
        "industries": _names(catalog.industries),
        "format_rules": format_rules(catalog),
    }


def format_rules(catalog: Catalog) -> list[Schema]:
    """/generate-text's format, platform and posts together, as the bot checks them
    (bot.formats.plan_format), so a body the document calls valid is one the server accepts: a thread
    names a platform that takes one (the default, Instagram, does not), a carousel's platform takes
    one and it has 3 slides or more, and posts goes with a thread or a carousel only."""

    def names(keys: tuple[str, ...]) -> list[str]:
        return sorted({n for k in keys for n in (k, *catalog.platforms[k].aliases)})

    def given(*formats: str) -> Schema:
        return {"properties": {"format": {"enum": list(formats)}}, "required": ["format"]}

    slides = {"type": "integer", "minimum": CAROUSEL_SLIDES[0], "maximum": CAROUSEL_SLIDES[1]}
    return [
        {
            "if": given("thread"),
            "then": {"properties": {"platform": {"enum": names(THREAD_PLATFORMS)}}, "required": ["platform"]},
        },
        {
            "if": given("carousel"),
            "then": {
                "properties": {
                    "platform": {"anyOf": [{"enum": names(CAROUSEL_PLATFORMS)}, {"type": "null"}]},
                    "posts": {"anyOf": [slides, {"type": "null"}]},
                }
            },
        },
        {"if": given("thread", "carousel"), "else": {"properties": {"posts": {"type": "null"}}}},
    ]


def _place(schema: Schema, keywords: Mapping[str, Any]) -> None:
    """Put each keyword on the branch of its JSON type (a nullable field's non-null branch)."""
    branches = schema.get("anyOf")
    for key, value in keywords.items():
        if key == "default" or branches is None:
            schema[key] = value
            continue
        targets = [b for b in branches if b.get("type") in _BRANCH_TYPES[key]]
        if not targets:
            raise ValueError(f"no branch of {schema} takes '{key}'")
        for branch in targets:
            branch[key] = value


def _fill(node: Any, live: Mapping[str, Any]) -> Any:
    """A copy of `node` with every `checked(...)` marker turned into plain JSON Schema keywords."""
    if isinstance(node, list):
        return [_fill(item, live) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _fill(value, live) for key, value in node.items() if key != CHECKED}
    if CHECKED in node:
        keywords = node[CHECKED].items()
        _place(out, {k: live[v[LIVE]] if isinstance(v, dict) and LIVE in v else v for k, v in keywords})
    return out


def model_schemas(models: Iterable[type[Any]], live: Mapping[str, Any]) -> dict[str, Schema]:
    """components/schemas for `models` (pydantic models or TypedDicts) and every model they nest."""
    out: dict[str, Schema] = {}
    for model in models:
        schema = TypeAdapter(model).json_schema(ref_template=REF)
        out.update(schema.pop("$defs", {}))
        out[component_name(model)] = schema
    return {name: _fill(schema, live) for name, schema in out.items()}


def _error(description: str, retry_after: bool = False) -> Schema:
    out: Schema = {"description": description, "content": {JSON: {"schema": _ref("Error")}}}
    if retry_after:
        out["headers"] = {
            "Retry-After": {"description": "seconds to wait", "required": True, "schema": {"type": "string"}}
        }
    return out


GENERATION_ERRORS: dict[str, Schema] = {
    "400": _error("The body is not a JSON object."),
    "401": _error("Missing or wrong API key (only when POSTPULSE_API_KEYS is set)."),
    "413": _error("The body is larger than http.max_body_bytes."),
    "415": _error("The body is not sent as application/json."),
    "422": _error("A field is invalid; `param` names it and the message says what is allowed."),
    "429": _error("The engine queue is full, or this key is over its rate limit.", retry_after=True),
    "500": _error("An unexpected error; details are only in the server log."),
    "503": _error("The model is still loading, or the engine stopped."),
    "504": _error("Generation ran past engine.request_timeout_s."),
}


def json_body(model: type[BaseModel]) -> Schema:
    """An operation's requestBody: a reference to the model's generated component."""
    return {"required": True, "content": {JSON: {"schema": _ref(component_name(model))}}}


def _sse_event(events: list[str], data: str) -> Schema:
    """In OpenAPI 3.1 an event stream's `schema` describes one event (3.2 would say `itemSchema`)."""
    return {
        "schema": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "event": {"type": "string", "enum": events},
                "data": {"type": "string", "description": data},
                "id": {"type": "string"},
            },
        }
    }


def _ok(name: str, description: str, stream: Schema | None = None, also: str | None = None) -> Schema:
    """`also`: a second shape the same status may carry (anyOf)."""
    schema = _ref(name) if also is None else {"anyOf": [_ref(name), _ref(also)]}
    content: Schema = {JSON: {"schema": schema}}
    if stream:
        content["text/event-stream"] = stream
    return {"description": description, "content": content}


GENERATE_EVENTS = _sse_event(
    ["delta", "done", "error"],
    'JSON: delta {"index", "text"}; done: a GenerateTextResponse; error: an Error',
)
CHAT_EVENTS = _sse_event(["message"], "JSON chat.completion.chunk objects, an Error, or the literal [DONE]")


def build_spec(config: AppConfig, catalog: Catalog, auth: bool) -> Schema:
    """`auth`: whether API keys are configured; only then do the protected routes declare security."""
    security: Schema = {"security": [{"bearer": []}, {"apiKey": []}]} if auth else {}
    throttled = _error("Too many failed authentications from this address (http.auth_failures_per_window).")
    unauthorized = {"401": GENERATION_ERRORS["401"], "429": throttled} if auth else {}
    not_ready = {"503": GENERATION_ERRORS["503"]}

    def op(summary: str, responses: Schema, protected: bool = True, **more: Any) -> Schema:
        return {"summary": summary, "responses": responses, **(security if protected else {}), **more}

    paths: Schema = {
        "/generate-text": {
            "post": op(
                "Write a post from a brief (the original spec). stream=true or Accept: text/event-stream "
                "answers with SSE: `delta` events, then `done` with the full response (or `error`).",
                {
                    "200": _ok(
                        "GenerateTextResponse",
                        "The post; with several platforms, a DraftGroupResponse (JSON, even with stream)",
                        GENERATE_EVENTS,
                        also="DraftGroupResponse",
                    ),
                    **GENERATION_ERRORS,
                },
                operationId="generateText",
                requestBody=json_body(GenerateTextBody),
            )
        },
        "/v1/chat/completions": {
            "post": op(
                "OpenAI-compatible chat completion; tone/platform/industry add PostPulse's system prompt.",
                {
                    "200": _ok("ChatCompletion", "The completion (or an SSE stream of chunks)", CHAT_EVENTS),
                    **GENERATION_ERRORS,
                },
                operationId="createChatCompletion",
                requestBody=json_body(ChatCompletionBody),
            )
        },
        "/v1/models": {
            "get": op(
                "The served model (OpenAI shape).",
                {"200": _ok("ModelList", "Models"), **unauthorized, **not_ready},
                operationId="listModels",
            )
        },
        "/v1/catalog": {
            "get": op(
                "Tones, platforms (with limits) and industries.",
                {"200": _ok("Catalog", "Catalogue"), **unauthorized},
                operationId="catalog",
            )
        },
        "/health": {
            "get": op(
                "Liveness: 503 once the engine has died.",
                {"200": _ok("Health", "Alive"), "503": _ok("Health", "Dead")},
                protected=False,
                operationId="health",
            )
        },
        "/ready": {
            "get": op(
                "Readiness: 200 once the model is loaded and the engine runs.",
                {"200": _ok("Ready", "Ready"), "503": _ok("Ready", "Not ready")},
                protected=False,
                operationId="ready",
            )
        },
        "/metrics": {
            "get": op(
                "Prometheus metrics.",
                {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
                protected=False,
                operationId="metrics",
            )
        },
        "/openapi.json": {
            "get": op(
                "This document.",
                {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}},
                protected=False,
                operationId="openapi",
            )
        },
    }
    not_found = {"404": _error("No draft with that id.")}
    paths.update(
        draft_paths(op, _ok, json_body, {**not_found, **unauthorized}, GENERATION_ERRORS, GENERATE_EVENTS)
    )
    with_body = body_errors({**not_found, **unauthorized}, GENERATION_ERRORS)
    paths.update(review_paths(op, _ok, json_body, DRAFT_ID, with_body, _error))
    plain_body_errors = {k: GENERATION_ERRORS[k] for k in ("400", "413", "415", "422", "500")}
    paths.update(brand_paths(op, _ok, json_body, _error, unauthorized, plain_body_errors))
    requests = model_schemas(REQUEST_MODELS, live_values(config, catalog))
    requests["GenerateTextRequest"]["example"] = {
        "prompt": "Create a social media post about our new smartphone release",
        "platform": "instagram",
        "tone": "professional",
        "max_length": min(150, config.engine.max_new_tokens_cap),
        "industry": "technology" if "technology" in catalog.industries else None,
    }
    components: Schema = {"schemas": {**requests, **model_schemas(RESPONSES, {})}}
    if auth:
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "PostPulse", "version": "0.1.0", "description": "Marketing copy in a chosen tone."},
        "paths": paths,
        "components": components,
    }
