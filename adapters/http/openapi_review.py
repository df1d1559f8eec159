"""The review routes' part of the OpenAPI document (adapters/http/openapi.py merges it in; the
request bodies are generated there from ReviewBody, EditBody, ApproveBody and ChangesBody)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from adapters.http.schemas import ApproveBody, ChangesBody, EditBody, ReviewBody

Schema = dict[str, Any]
STATES = "draft → in_review → approved | changes_requested (→ in_review again)"


def review_paths(
    op: Callable[..., Schema],
    ok: Callable[..., Schema],
    body: Callable[[type[BaseModel]], Schema],
    draft_id: Schema,
    errors: dict[str, Schema],
    error: Callable[[str], Schema],
) -> dict[str, Schema]:
    """`errors`: 404, the body errors and (with keys on) 401, as the draft routes declare them."""
    conflict = {
        "409": error(f"The draft's review state does not allow this ({STATES}); the message says what does.")
    }
    forbidden = {"403": error("This caller lacks the reviewer role (an API key in roles.reviewer_keys_env).")}
    reviewed = {
        "200": ok("StoredDraft", "The draft with its review: state, revisions, approved_text, history")
    }

    def post(summary: str, operation_id: str, model: type[BaseModel], more: dict[str, Schema]) -> Schema:
        return {
            "post": op(
                summary,
                {**reviewed, **errors, **more},
                operationId=operation_id,
                parameters=[draft_id],
                requestBody=body(model),
            )
        }

    return {
        "/v1/drafts/{draft_id}/review": post(
            "Send a variant for review (from draft or changes_requested); anyone in the draft's team.",
            "submitDraftForReview",
            ReviewBody,
            conflict,
        ),
        "/v1/drafts/{draft_id}/edit": post(
            "A new revision of a variant by the draft's author or a reviewer; the state stays. An approved "
            "draft cannot be edited (409). Text the same as the latest revision stores nothing.",
            "editDraft",
            EditBody,
            {**forbidden, **conflict},
        ),
        "/v1/drafts/{draft_id}/approve": post(
            'Approve one revision\'s text (reviewers; from in_review): `{"variant": N}` approves that '
            'variant\'s latest revision, `{"revision": N}` that revision of the variant under review.',
            "approveDraft",
            ApproveBody,
            {**forbidden, **conflict},
        ),
        "/v1/drafts/{draft_id}/changes": post(
            "Request changes with a note (reviewers; from in_review).",
            "requestDraftChanges",
            ChangesBody,
            {**forbidden, **conflict},
        ),
    }
