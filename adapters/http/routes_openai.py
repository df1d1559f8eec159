"""OpenAI-compatible POST /v1/chat/completions and GET /v1/models.

Any OpenAI SDK or tool can use PostPulse. Extra body fields `tone`, `platform` and `industry`
(the SDKs pass them via `extra_body`) switch on PostPulse's own system prompt, built exactly as for
/generate-text; the client's system messages are appended to it. The text comes back raw (no
platform post-processing), the same in streamed and whole responses.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from adapters.http import sse
from adapters.http.errors import ApiError, from_exception
from adapters.http.routes_generate import request_id
from adapters.http.schemas import ChatCompletionBody, effective_temperature, read_json
from adapters.http.state import CONFIG, SERVICE
from bot.brief import DEFAULT_TEMPERATURE
from bot.drafts import DraftService
from bot.prompts import system_prompt
from engine.config import EngineConfig
from engine.interface import StreamEvent
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta

log = logging.getLogger(__name__)

MAX_STOP = 4


def _messages(body: ChatCompletionBody, drafts: DraftService) -> list[dict[str, str]]:
    system = [m.text() for m in body.messages if m.role in ("system", "developer")]
    rest = [
        {"role": m.role, "content": m.text()} for m in body.messages if m.role not in ("system", "developer")
    ]
    if body.tone or body.platform or body.industry:
        extras = {"prompt": "chat", "tone": body.tone, "platform": body.platform, "industry": body.industry}
        system.insert(0, system_prompt(drafts.brief(extras), drafts.catalog))
    return ([{"role": "system", "content": "\n\n".join(system)}] if system else []) + rest


def _request(
    body: ChatCompletionBody, drafts: DraftService, limits: EngineConfig, rid: str
) -> GenerationRequest:
    for field in ("max_tokens", "max_completion_tokens"):  # both checked: either may be sent
        value = getattr(body, field)
        if value is not None and not 1 <= value <= limits.max_new_tokens_cap:
            raise ApiError(422, f"{field} must be between 1 and {limits.max_new_tokens_cap}", param=field)
    given = body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens
    max_tokens = given if given is not None else min(limits.default_max_new_tokens, limits.max_new_tokens_cap)
    n = body.n if body.n is not None else 1
    if not 1 <= n <= limits.max_variants:
        raise ApiError(422, f"n must be between 1 and {limits.max_variants}", param="n")
    stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if len(stop) > MAX_STOP or any(not s for s in stop):
        raise ApiError(422, f"stop takes up to {MAX_STOP} non-empty strings", param="stop")
    chars = sum(len(m.text()) for m in body.messages)
    if chars > limits.max_prompt_chars:
        raise ApiError(
            422,
            f"the messages hold {chars:,} characters; the limit is {limits.max_prompt_chars:,}",
            param="messages",
        )
    params = SamplingParams(
        max_new_tokens=max_tokens,
        temperature=effective_temperature(body.temperature, DEFAULT_TEMPERATURE),
        top_p=body.top_p if body.top_p is not None else 1.0,
        seed=body.seed,
        stop=tuple(stop),
    )
    return GenerationRequest(
        messages=_messages(body, drafts),
        params=params,
        n=n,
        timeout_s=limits.request_timeout_s,
        request_id=rid,
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


def _usage(result: GenerationResult) -> dict[str, int]:
    prompt = result.prompt_tokens * len(result.outputs)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": result.completion_tokens,
        "total_tokens": prompt + result.completion_tokens,
    }


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = await read_json(request, ChatCompletionBody)
    drafts = request.app[SERVICE].get()
    rid = request_id(request)
    gen = _request(body, drafts, request.app[CONFIG].engine, rid)
    created = int(time.time())
    events = drafts.chat(gen)
    try:
        if not sse.wants_sse(request, body.stream):
            async for event in events:
                if isinstance(event, GenerationResult):
                    return web.json_response(_completion(event, drafts.model_name, created))
            raise RuntimeError("the engine stream ended without a result")
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

    started: set[int] = set()
    try:
        event: StreamEvent | None = first
        while event is not None:
            if isinstance(event, GenerationResult):
                for o in event.outputs:
                    await sse.send(
                        response, chunk([{"index": o.index, "delta": {}, "finish_reason": o.finish_reason}])
                    )
                if include_usage:
                    await sse.send(response, chunk([], usage=_usage(event)))
                await sse.send(response, "[DONE]")
                break
            if isinstance(event, TextDelta):
                delta: dict[str, str] = {"content": event.text}
                if event.index not in started:
                    started.add(event.index)
                    delta = {"role": "assistant", **delta}
                await sse.send(
                    response, chunk([{"index": event.index, "delta": delta, "finish_reason": None}])
                )
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
    model = {"id": drafts.model_name, "object": "model", "created": service.started, "owned_by": "postpulse"}
    return web.json_response({"object": "list", "data": [model]})
