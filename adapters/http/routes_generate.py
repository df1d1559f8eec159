"""POST /generate-text: the original spec's contract, with SSE streaming on request.

The response is exactly the spec's `{generated_text, generation_time: "1.2s", word_count}`, plus
extra keys a client written against the spec ignores (variants, character_count, platform_limit,
hashtags, model, request_id, and `draft_id`: the stored draft the /v1/drafts routes rate and remix).
It goes through the Assistant like every other front door, so HTTP drafts are stored too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from adapters.http import sse
from adapters.http.errors import from_exception
from adapters.http.schemas import GenerateTextBody, json_body
from adapters.http.state import CATALOG, GUARD, SERVICE
from bot.assistant import DraftGroup, DraftJob, Origin, StoredDraft
from bot.brief import DEFAULT_TEMPERATURE
from bot.catalog import Catalog
from bot.drafts import Draft, DraftDelta
from bot.render import draft_response as render
from engine.types import effective_temperature

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(request: web.Request) -> str:
    """The caller's X-Request-ID when it is sane, so logs join up across services; else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def http_origin(request: web.Request) -> Origin:
    """The API-key hash is both user and workspace (bot.tenancy: the key's brand or the key is the
    tenant). With keys off the client address is the user and there is no workspace: the local
    `default` tenant."""
    guard = request.app[GUARD]
    caller = guard.authenticate(request)
    return Origin(
        front_door="http",
        user_id=caller,
        workspace_id=caller if guard.enabled else None,
        roles=guard.roles(caller),
    )


def stored_response(stored: StoredDraft, catalog: Catalog) -> dict[str, Any]:
    """/generate-text's shape for a stored draft, plus its id (and, for a remix, where it came from)."""
    draft = Draft(
        brief=stored.brief,
        variants=stored.variants,
        generation_seconds=stored.generation_seconds,
        model=stored.model,
        request_id=stored.request_id or "",
        parts=stored.parts,
    )
    body = render(draft, catalog)
    if stored.backend is not None:
        body["backend"] = stored.backend
    body["draft_id"] = stored.id
    if stored.parent_id is not None:
        body["parent_id"] = stored.parent_id
        body["action"] = stored.action
    return body


@json_body(GenerateTextBody)
async def generate_text(request: web.Request, body: GenerateTextBody) -> web.StreamResponse:
    assistant = request.app[SERVICE].assistant
    raw: dict[str, object] = body.model_dump(exclude={"stream"}, exclude_none=True)
    raw["temperature"] = effective_temperature(body.temperature, DEFAULT_TEMPERATURE)
    rid = request_id(request)
    # The prompt is taken literally (parse_prompt=False): an API client's "Note: 10:30" is copy, not options.
    job = await assistant.draft(http_origin(request), raw, parse_prompt=False, request_id=rid)
    if isinstance(job, DraftGroup):
        return await answer_group(request, job, rid)
    return await answer(request, job, rid, body.stream)


async def answer_group(request: web.Request, group: DraftGroup, rid: str) -> web.StreamResponse:
    """Several platforms: `{"group_id", "drafts": [one response per platform, in the order asked]}`,
    as JSON once all are written (with stream too: one stream cannot carry several drafts' deltas
    without changing the `delta` event every streaming client reads)."""
    try:
        drafts = await group.results()
    finally:
        await group.aclose()
    catalog = request.app[CATALOG]
    body = {
        "group_id": group.group_id,
        "drafts": [{**stored_response(d, catalog), "platform": d.brief.platform} for d in drafts],
    }
    return web.json_response(body, headers={"X-Request-ID": rid})


async def answer(request: web.Request, job: DraftJob, rid: str, stream: bool | None) -> web.StreamResponse:
    """JSON when the job is done, or SSE while it runs; the job is cancelled if the client leaves."""
    try:
        if not sse.wants_sse(request, stream):
            stored = await job.result()
            return web.json_response(
                stored_response(stored, request.app[CATALOG]), headers={"X-Request-ID": rid}
            )
        return await _stream(request, aiter(job), rid)
    finally:
        await job.aclose()


async def _stream(
    request: web.Request, events: AsyncIterator[DraftDelta | StoredDraft], rid: str
) -> web.StreamResponse:
    """`event: delta` per chunk of text, then `event: done` with the full response (or `event: error`)."""
    first = await anext(events)  # errors before any output still get a status code
    response = await sse.open_stream(request, {"X-Request-ID": rid})
    try:
        event: DraftDelta | StoredDraft | None = first
        while event is not None:
            if isinstance(event, StoredDraft):
                await sse.send(response, stored_response(event, request.app[CATALOG]), "done")
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
