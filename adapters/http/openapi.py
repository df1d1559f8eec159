"""The OpenAPI 3.1 document for every route, built from the live config and catalogues.

Enums and limits come from the same objects the validators use, so the spec cannot drift from what
the server accepts; the test suite runs schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from adapters.http.openapi_drafts import draft_paths, draft_schemas
from adapters.http.schemas import EXTRA_TEXT_MAX, SEED_MAX
from bot.catalog import Catalog
from bot.config import AppConfig

Schema = dict[str, Any]
JSON = "application/json"


def _names(entries: dict[str, Any]) -> list[str]:
    names = set(entries)
    for entry in entries.values():
        names.update(entry.aliases)
    return sorted(names)


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


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


def _schemas(config: AppConfig, catalog: Catalog) -> dict[str, Schema]:
    lim = config.engine
    text = {"type": "string"}
    boolean = {"type": "boolean"}
    tone, platform, industry = (
        _nullable(
            {"type": "string", "enum": _names(entries), "description": "case-insensitive; aliases accepted"}
        )
        for entries in (catalog.tones, catalog.platforms, catalog.industries)
    )
    temperature = _nullable(
        {"type": "number", "minimum": 0, "maximum": 2, "description": "below 0.01 = greedy"}
    )
    seed = _nullable({"type": "integer", "minimum": 0, "maximum": SEED_MAX})
    tokens = _nullable({"type": "integer", "minimum": 1, "maximum": lim.max_new_tokens_cap})
    variants = _nullable({"type": "integer", "minimum": 1, "maximum": lim.max_variants})
    short = _nullable({"type": "string", "maxLength": EXTRA_TEXT_MAX})
    post = {
        "type": "object",
        "required": ["text", "word_count", "character_count", "hashtags"],
        "properties": {
            "text": text,
            "word_count": {"type": "integer"},
            "character_count": {"type": "integer"},
            "hashtags": {"type": "array", "items": text},
        },
    }
    message = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "role": {"type": "string", "enum": ["system", "developer", "user", "assistant"]},
            "content": {
                "anyOf": [
                    {"type": "string", "maxLength": lim.max_prompt_chars},
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "text"],
                            "properties": {"type": {"const": "text"}, "text": text},
                        },
                    },
                ]
            },
        },
    }
    usage = {
        "type": "object",
        "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
        "properties": {
            k: {"type": "integer"} for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type", "param"],
                    "properties": {"message": text, "type": text, "param": _nullable(text)},
                }
            },
        },
        "GenerateTextRequest": {
            "type": "object",
            "required": ["prompt"],
            "additionalProperties": False,
            "properties": {
                "prompt": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": lim.max_prompt_chars,
                    "pattern": r"\S",
                },
                "platform": platform,
                "tone": tone,
                "max_length": {**tokens, "default": lim.default_max_new_tokens, "description": "new tokens"},
                "industry": industry,
                "audience": short,
                "brand_voice": short,
                "call_to_action": short,
                "hashtags": _nullable(boolean),
                "variants": variants,
                "seed": seed,
                "temperature": temperature,
                "stream": _nullable(
                    {"type": "boolean", "description": "true: answer with server-sent events"}
                ),
            },
            "example": {
                "prompt": "Create a social media post about our new smartphone release",
                "platform": "instagram",
                "tone": "professional",
                "max_length": min(150, lim.max_new_tokens_cap),
                "industry": "technology" if "technology" in catalog.industries else None,
            },
        },
        "Post": post,
        "GenerateTextResponse": {
            "type": "object",
            "required": ["generated_text", "generation_time", "word_count"],
            "properties": {
                "generated_text": text,
                "generation_time": {"type": "string", "pattern": r"^\d+\.\ds$"},
                "word_count": {"type": "integer", "minimum": 0},
                "character_count": {"type": "integer"},
                "platform_limit": {"type": "integer"},
                "hashtags": {"type": "array", "items": text},
                "variants": {"type": "array", "items": _ref("Post")},
                "model": text,
                "request_id": text,
                "draft_id": {"type": "string", "description": "the stored draft (see /v1/drafts)"},
                "parent_id": {"type": "string", "description": "remixes only: the draft it came from"},
                "action": {"type": "string", "description": "remixes only: how it was made"},
            },
        },
        "ChatMessage": message,
        "ChatCompletionRequest": {
            "type": "object",
            "required": ["messages"],
            "description": "OpenAI's shape; unknown OpenAI fields are accepted and ignored.",
            "properties": {
                "model": _nullable({"type": "string", "description": "ignored: the server has one model"}),
                "messages": {"type": "array", "minItems": 1, "maxItems": 64, "items": _ref("ChatMessage")},
                "max_tokens": tokens,
                "max_completion_tokens": tokens,
                "temperature": temperature,
                "top_p": _nullable({"type": "number", "exclusiveMinimum": 0, "maximum": 1}),
                "n": variants,
                "stream": _nullable(boolean),
                "stream_options": _nullable({"type": "object", "properties": {"include_usage": boolean}}),
                "seed": seed,
                "stop": _nullable(
                    {
                        "anyOf": [
                            {"type": "string", "minLength": 1},
                            {"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1}},
                        ]
                    }
                ),
                "tone": tone,
                "platform": platform,
                "industry": industry,
            },
        },
        "ChatCompletion": {
            "type": "object",
            "required": ["id", "object", "created", "model", "choices", "usage"],
            "properties": {
                "id": text,
                "object": {"const": "chat.completion"},
                "created": {"type": "integer"},
                "model": text,
                "choices": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "message", "finish_reason"],
                        "properties": {
                            "index": {"type": "integer"},
                            "message": {
                                "type": "object",
                                "required": ["role", "content"],
                                "properties": {"role": {"const": "assistant"}, "content": text},
                            },
                            "finish_reason": {"type": "string", "enum": ["stop", "length"]},
                        },
                    },
                },
                "usage": usage,
            },
        },
        "ModelList": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {
                "object": {"const": "list"},
                "data": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "object", "created", "owned_by"],
                        "properties": {
                            "id": text,
                            "object": {"const": "model"},
                            "created": {"type": "integer"},
                            "owned_by": text,
                        },
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["loading", "ready", "dead", "failed"]}},
        },
        "Ready": {
            "type": "object",
            "required": ["ready", "status", "model"],
            "properties": {
                "ready": boolean,
                "status": {"type": "string", "enum": ["loading", "ready", "dead", "failed"]},
                "model": _nullable(text),
            },
        },
        "Catalog": {
            "type": "object",
            "required": ["tones", "platforms", "industries", "limits"],
            "properties": {
                "tones": {"type": "array", "items": {"type": "object", "required": ["name", "description"]}},
                "platforms": {
                    "type": "array",
                    "items": {"type": "object", "required": ["name", "char_limit"]},
                },
                "industries": {"type": "array", "items": {"type": "object", "required": ["name"]}},
                "limits": {"type": "object"},
            },
        },
    }


def _json_body(name: str) -> Schema:
    return {"required": True, "content": {JSON: {"schema": _ref(name)}}}


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


def _ok(name: str, description: str, stream: Schema | None = None) -> Schema:
    content: Schema = {JSON: {"schema": _ref(name)}}
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
                {"200": _ok("GenerateTextResponse", "The post", GENERATE_EVENTS), **GENERATION_ERRORS},
                operationId="generateText",
                requestBody=_json_body("GenerateTextRequest"),
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
                requestBody=_json_body("ChatCompletionRequest"),
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
    paths.update(draft_paths(op, _ok, {**not_found, **unauthorized}, GENERATION_ERRORS, GENERATE_EVENTS))
    components: Schema = {"schemas": {**_schemas(config, catalog), **draft_schemas()}}
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
