"""OpenAI-compatible POST /v1/chat/completions and GET /v1/models.

Any OpenAI SDK or tool can use PostPulse. Extra body fields `tone`, `platform` and `industry`
(the SDKs pass them via `extra_body`) switch on PostPulse's own system prompt, built exactly as for
/generate-text; the client's system messages are appended to it. The text comes back raw (no
platform post-processing), the same in streamed and whole responses. The work (limits, prompt,
sampling) is bot/chat.py's; this module converts the body to a `ChatAsk` and the result to OpenAI's
JSON or SSE chunks.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from adapters.http import sse
from adapters.http.errors import from_exception
from adapters.http.responses import ModelCard, ModelList, Usage
from adapters.http.routes_generate import request_id
from adapters.http.schemas import ChatCompletionBody, json_body
from adapters.http.state import SERVICE
from bot import chat
from engine.interface import StreamEvent
from engine.types import GenerationResult, TextDelta

log = logging.getLogger(__name__)


def _ask(body: ChatCompletionBody) -> chat.ChatAsk:
    return chat.ChatAsk(
        messages=tuple(chat.ChatTurn(m.role, m.text()) for m in body.messages),
        max_tokens=body.max_tokens,
        max_completion_tokens=body.max_completion_tokens,
        n=body.n,
        temperature=body.temperature,
        top_p=body.top_p,
        seed=body.seed,
        stop=(body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ()),
        tone=body.tone,
        platform=body.platform,
        industry=body.industry,
    )


def _completion(result: GenerationResult, model: str, created: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-" + result.request_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": o.index,
                "message": {"role": "assistant", "content": o.text},
                "finish_reason": o.finish_reason,
            }
            for o in result.outputs
        ],
        "usage": _usage(result),
    }


def _usage(result: GenerationResult) -> Usage:
    prompt = result.prompt_tokens * len(result.outputs)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": result.completion_tokens,
        "total_tokens": prompt + result.completion_tokens,
    }


@json_body(ChatCompletionBody)
async def chat_completions(request: web.Request, body: ChatCompletionBody) -> web.StreamResponse:
    drafts = request.app[SERVICE].get()
    rid = request_id(request)
    created = int(time.time())
    if not sse.wants_sse(request, body.stream):
        result = await chat.complete(drafts, _ask(body), rid)
        return web.json_response(_completion(result, drafts.model_name, created))
    events = chat.stream(drafts, _ask(body), rid)
    try:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream(request, drafts.model_name, events, rid, created, include_usage)
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def _stream(
    request: web.Request,
    model: str,
    events: AsyncIterator[StreamEvent],
    rid: str,
    created: int,
    include_usage: bool,
) -> web.StreamResponse:
    first = await anext(events)  # errors before any output keep their status code
    response = await sse.open_stream(request)
    base = {
        "id": "chatcmpl-" + rid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
    }

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {**base, "choices": choices, **extra}

    # The per-token event, encoded once per request up to its choices (the hot path: one per token)
    head = b"data: " + orjson.dumps(base)[:-1] + b',"choices":'

    def delta_event(index: int, delta: dict[str, str]) -> bytes:
        return head + orjson.dumps([{"index": index, "delta": delta, "finish_reason": None}]) + b"}\n\n"

    started: set[int] = set()
    try:
        event: StreamEvent | None = first
        while event is not None:
            if isinstance(event, GenerationResult):
                finals = [
                    chunk([{"index": o.index, "delta": {}, "finish_reason": o.finish_reason}])
                    for o in event.outputs
                ]
                if include_usage:
                    finals.append(chunk([], usage=_usage(event)))
                await sse.send_many(response, [*finals, "[DONE]"])
                break
            if isinstance(event, TextDelta):
                delta: dict[str, str] = {"content": event.text}
                if event.index not in started:
                    started.add(event.index)
                    delta = {"role": "assistant", **delta}
                await response.write(delta_event(event.index, delta))
            event = await anext(events, None)
    except ConnectionResetError:
        log.info("client left chat request %s mid-stream; cancelling it", rid)
        return response
    except Exception as exc:  # OpenAI SDKs raise on a chunk that carries "error"
        with contextlib.suppress(ConnectionResetError):
            await sse.send(response, from_exception(exc).body())
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def list_models(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    drafts = service.get()
    model: ModelCard = {
        "id": drafts.model_name,
        "object": "model",
        "created": service.started,
        "owned_by": "postpulse",
    }
    models: ModelList = {"object": "list", "data": [model]}
    return web.json_response(models)
