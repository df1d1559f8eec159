"""A draft's review over HTTP: read it (GET /v1/drafts/{id} shows state, revisions, approved_text),
send it for review, edit it, approve it, request changes. The routes only convert: bot.review
decides who may do what and when.

Errors as on every route (adapters/http/errors.py): 404 for an unknown draft or another team's,
403 (NotAllowed) for approve/changes without the reviewer role or an edit by neither the author nor
a reviewer, 409 (ReviewConflict) for a transition the state does not allow, 422 for a bad body.
Who did what is shown by display name and front door; user ids and key ids stay in the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters.http.errors import ApiError
from adapters.http.routes_drafts import draft_view, not_found
from adapters.http.routes_generate import http_origin
from adapters.http.schemas import ApproveBody, ChangesBody, EditBody, ReviewBody, json_body
from adapters.http.state import CONFIG, SERVICE
from bot.errors import DraftNotFound, NotAllowed
from bot.records import Origin
from bot.review import Reviews
from bot.review_types import ReviewStatus

Call = Callable[[Reviews, Origin, str], Awaitable[ReviewStatus]]


def review_view(status: ReviewStatus) -> dict[str, Any]:
    """The draft (draft_view) with its review."""
    approved = status.approved
    return {
        **draft_view(status.draft),
        "state": status.state,
        "revisions": [
            {
                "variant": r.variant,
                "number": r.number,
                "text": r.text,
                "author": r.author_name,
                "created_at": r.created_at.isoformat(),
            }
            for r in status.revisions
        ],
        "approved": {"variant": approved.variant, "revision": approved.number} if approved else None,
        "approved_text": status.approved_text,
        "history": [
            {
                "action": e.action,
                "actor": e.actor_name,
                "front_door": e.front_door,
                "at": e.at.isoformat(),
                "variant": e.variant,
                "revision": e.revision,
                "note": e.note,
            }
            for e in status.history
        ],
    }


async def _answer(request: web.Request, call: Call) -> web.Response:
    draft_id = request.match_info["draft_id"]
    try:  # a transition is answered only once it is committed
        status = await call(request.app[SERVICE].assistant.reviews, http_origin(request), draft_id)
    except DraftNotFound as exc:
        raise not_found(draft_id) from exc
    except NotAllowed as exc:
        hint = f" Over HTTP, use an API key listed in ${request.app[CONFIG].roles.reviewer_keys_env}."
        raise ApiError(403, str(exc) + hint, "permission_error") from exc
    return web.json_response(review_view(status))


async def get_draft(request: web.Request) -> web.Response:
    return await _answer(request, lambda reviews, origin, draft_id: reviews.status(origin, draft_id))


@json_body(ReviewBody)
async def submit_draft(request: web.Request, body: ReviewBody) -> web.Response:
    return await _answer(
        request, lambda r, origin, draft_id: r.submit(origin, draft_id, body.variant, body.note)
    )


@json_body(EditBody)
async def edit_draft(request: web.Request, body: EditBody) -> web.Response:
    return await _answer(
        request, lambda r, origin, draft_id: r.edit(origin, draft_id, body.variant, body.text)
    )


@json_body(ApproveBody)
async def approve_draft(request: web.Request, body: ApproveBody) -> web.Response:
    return await _answer(
        request, lambda r, origin, draft_id: r.approve(origin, draft_id, body.variant, body.revision)
    )


@json_body(ChangesBody)
async def request_changes(request: web.Request, body: ChangesBody) -> web.Response:
    return await _answer(request, lambda r, origin, draft_id: r.request_changes(origin, draft_id, body.note))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/drafts/{draft_id}", get_draft)
    app.router.add_post("/v1/drafts/{draft_id}/review", submit_draft)
    app.router.add_post("/v1/drafts/{draft_id}/edit", edit_draft)
    app.router.add_post("/v1/drafts/{draft_id}/approve", approve_draft)
    app.router.add_post("/v1/drafts/{draft_id}/changes", request_changes)
