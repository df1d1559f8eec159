"""The /v1/drafts routes' part of the OpenAPI document (adapters/http/openapi.py merges it in; the
request bodies are generated there from RatingBody, ChoiceBody and RemixBody)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from adapters.http.schemas import DRAFT_ID_PATTERN, ChoiceBody, RatingBody, RemixBody

Schema = dict[str, Any]


DRAFT_ID: Schema = {
    "name": "draft_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": DRAFT_ID_PATTERN},
    "description": "the draft_id /generate-text (or a chat front door) returned",
}


def body_errors(errors: dict[str, Schema], generation_errors: dict[str, Schema]) -> dict[str, Schema]:
    """What a draft route with a JSON body can answer besides 200: 404, the body's errors, 401."""
    auth = {"401": generation_errors["401"]} if "401" in errors else {}
    return {
        "404": errors["404"],
        **{k: generation_errors[k] for k in ("400", "413", "415", "422", "500")},
        **auth,
    }


def draft_paths(
    op: Callable[..., Schema],
    ok: Callable[..., Schema],
    body: Callable[[type[BaseModel]], Schema],
    errors: dict[str, Schema],
    generation_errors: dict[str, Schema],
    generate_events: Schema,
) -> dict[str, Schema]:
    """`op`, `ok`, `body` and the error tables are openapi.py's, so every route reads the same."""
    draft_id = DRAFT_ID
    not_found = {"404": errors["404"]}
    auth = {"401": generation_errors["401"]} if "401" in errors else {}
    with_body = body_errors(errors, generation_errors)

    return {
        "/v1/drafts/{draft_id}": {
            "get": op(
                "A stored draft: its brief, every variant with its latest rating, the chosen variant, and "
                "its review (state, revisions, approved_text, history).",
                {"200": ok("StoredDraft", "The draft"), **not_found, **auth},
                operationId="getDraft",
                parameters=[draft_id],
            )
        },
        "/v1/drafts/{draft_id}/rating": {
            "post": op(
                "Rate a variant up or down; answered once the rating is stored. Every rating is kept; "
                "the latest per user and variant counts.",
                {"200": ok("StoredDraft", "The updated draft"), **with_body},
                operationId="rateDraft",
                parameters=[draft_id],
                requestBody=body(RatingBody),
            )
        },
        "/v1/drafts/{draft_id}/choice": {
            "post": op(
                '"Use this": record which variant was picked (the A/B signal for training).',
                {"200": ok("StoredDraft", "The updated draft"), **with_body},
                operationId="chooseVariant",
                parameters=[draft_id],
                requestBody=body(ChoiceBody),
            )
        },
        "/v1/drafts/{draft_id}/remix": {
            "post": op(
                "A new draft made from this one (linked by parent_id): regenerate with a new seed, "
                "shorter, longer, or another tone or platform (`value`).",
                {
                    "200": ok("GenerateTextResponse", "The new draft", generate_events),
                    **not_found,
                    **generation_errors,
                },
                operationId="remixDraft",
                parameters=[draft_id],
                requestBody=body(RemixBody),
            )
        },
    }
