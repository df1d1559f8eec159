"""POST /generate-text: the original spec's contract, with SSE streaming on request.

The response is exactly the spec's `{generated_text, generation_time: "1.2s", word_count}`, plus
extra keys a client written against the spec ignores (variants, character_count, platform_limit,
hashtags, model, request_id).
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.http import sse
from adapters.http.errors import from_exception
from adapters.http.schemas import GenerateTextBody, effective_temperature, read_json
from adapters.http.state import CATALOG, CONFIG, HOLDER
from bot.brief import DEFAULT_TEMPERATURE
from bot.drafts import Draft, DraftDelta
from bot.render import draft_response as render

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(request: web.Request) -> str:
    """The caller's X-Request-ID when it is sane, so logs join up across services; else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


async def generate_text(request: web.Request) -> web.StreamResponse:
    body = await read_json(request, GenerateTextBody)
    config = request.app[CONFIG]
    drafts = request.app[HOLDER].get()
    raw = body.model_dump(exclude={"stream"}, exclude_none=True)
    raw["temperature"] = effective_temperature(body.temperature, DEFAULT_TEMPERATURE)
    brief = drafts.brief(raw)
    rid = request_id(request)
    # The app's own limit (engine.request_timeout_s), not the engine's: a borrowed engine may differ.
    events = drafts.stream(brief, rid, timeout_s=config.engine.request_timeout_s)
    try:
        if not sse.wants_sse(request, body.stream):
            async for event in events:
                if isinstance(event, Draft):
                    return web.json_response(
                        render(event, request.app[CATALOG]), headers={"X-Request-ID": rid}
                    )
            raise RuntimeError("the draft stream ended without a draft")
        return await _stream(request, events, rid)
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def _stream(
    request: web.Request, events: AsyncIterator[DraftDelta | Draft], rid: str
) -> web.StreamResponse:
    """`event: delta` per chunk of text, then `event: done` with the full response (or `event: error`)."""
    first = await anext(events)  # errors before any output still get a status code
    response = await sse.open_stream(request, {"X-Request-ID": rid})
    try:
        event: DraftDelta | Draft | None = first
        while event is not None:
            if isinstance(event, Draft):
                await sse.send(response, render(event, request.app[CATALOG]), "done")
                break
            await sse.send(response, {"index": event.index, "text": event.text}, "delta")
            event = await anext(events, None)
    except ConnectionResetError:
        log.info("client left request %s mid-stream; cancelling it", rid)
        return response
    except Exception as exc:  # the status line is gone: report the error as the last event
        with contextlib.suppress(ConnectionResetError):
            await sse.send(response, from_exception(exc).body(), "error")
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response
