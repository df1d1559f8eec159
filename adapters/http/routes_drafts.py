"""The stored drafts over HTTP: rate a variant, choose one ("use this"), remix it. Reading one
(with its review) is adapters/http/routes_review.py's GET /v1/drafts/{id}.

Same conventions as the other routes: JSON errors from adapters/http/errors.py, 404 for a draft the
store does not know, 422 naming the invalid field and what is allowed. A remix runs the model, so it
spends a rate-limit token like /generate-text.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.http.errors import ApiError
from adapters.http.routes_generate import answer, http_origin, request_id
from adapters.http.schemas import ChoiceBody, RatingBody, RemixBody, json_body
from adapters.http.state import GUARD, SERVICE
from bot.assistant import StoredDraft
from bot.errors import DraftNotFound
from bot.render import parts_response


def draft_view(draft: StoredDraft) -> dict[str, Any]:
    """A stored draft as JSON. Who asked (chat user ids) stays out: only the front door is shown."""
    return {
        "id": draft.id,
        "parent_id": draft.parent_id,
        "action": draft.action,
        "front_door": draft.origin.front_door,
        "brief": draft.brief.model_dump(mode="json"),
        "variants": [
            {
                "index": i,
                "text": post.text,
                "word_count": post.word_count,
                "character_count": post.character_count,
                "hashtags": post.hashtags,
                "rating": draft.ratings.get(i),
            }
            for i, post in enumerate(draft.variants)
        ],
        "chosen_variant": draft.chosen_variant,
        "platform_limit": draft.platform_limit,
        "model": draft.model,
        "adapter": draft.adapter,
        "backend": draft.backend,
        "generation_time": draft.generation_time,
        "created_at": draft.created_at.isoformat(),
        **(parts_response(draft.parts) if draft.parts is not None else {}),
    }


def not_found(draft_id: str) -> ApiError:
    """The same answer for an unknown id and for another tenant's draft (bot.tenancy)."""
    return ApiError(404, f"no such draft: '{draft_id}'", "not_found_error", "id")


@json_body(RatingBody)
async def rate_draft(request: web.Request, body: RatingBody) -> web.Response:
    draft_id = request.match_info["draft_id"]
    try:  # answered only after the rating is committed
        draft = await request.app[SERVICE].assistant.rate(
            http_origin(request), draft_id, body.variant, body.rating
        )
    except DraftNotFound as exc:
        raise not_found(draft_id) from exc
    return web.json_response(draft_view(draft))


@json_body(ChoiceBody)
async def choose_variant(request: web.Request, body: ChoiceBody) -> web.Response:
    draft_id = request.match_info["draft_id"]
    try:
        draft = await request.app[SERVICE].assistant.choose(http_origin(request), draft_id, body.variant)
    except DraftNotFound as exc:
        raise not_found(draft_id) from exc
    return web.json_response(draft_view(draft))


@json_body(RemixBody)
async def remix_draft(request: web.Request, body: RemixBody) -> web.StreamResponse:
    draft_id = request.match_info["draft_id"]
    origin = http_origin(request)
    request.app[GUARD].limiter.check(origin.user_id)
    try:
        job = await request.app[SERVICE].assistant.remix(origin, draft_id, body.action, body.value)
    except DraftNotFound as exc:
        raise not_found(draft_id) from exc
    return await answer(request, job, request_id(request), body.stream)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/drafts/{draft_id}/rating", rate_draft)
    app.router.add_post("/v1/drafts/{draft_id}/choice", choose_variant)
    app.router.add_post("/v1/drafts/{draft_id}/remix", remix_draft)
