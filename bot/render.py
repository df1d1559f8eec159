"""Draft -> the public JSON response shape, the same for every front door that speaks JSON."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.drafts import Draft
from bot.formats import Parts


def draft_response(draft: Draft, catalog: Catalog) -> dict[str, Any]:
    """The spec's /generate-text response (generated_text, generation_time, word_count) plus
    extras a spec client can ignore. Shared by the HTTP API and `postpulse generate --json`."""
    post = draft.post
    return {
        "generated_text": post.text,
        "generation_time": draft.generation_time,
        "word_count": post.word_count,
        "character_count": post.character_count,
        "platform_limit": catalog.platforms[draft.brief.platform].char_limit,
        "hashtags": post.hashtags,
        "variants": [
            {
                "text": p.text,
                "word_count": p.word_count,
                "character_count": p.character_count,
                "hashtags": p.hashtags,
                # best-of-n breakdown (bot.quality.scoring), for integrators and debugging
                **({"score": p.score} if p.score is not None else {}),
            }
            for p in draft.variants
        ],
        "model": draft.model,
        "request_id": draft.request_id,
        # a thread's numbered posts or a carousel's {headline, text} slides, and its caption
        **(parts_response(draft.parts) if draft.parts is not None else {}),
    }


def parts_response(parts: Parts) -> dict[str, Any]:
    """`format`, `parts` and a carousel's `caption`: the same in /generate-text and /v1/drafts."""
    body: dict[str, Any] = {"format": parts.kind, "parts": parts.payload()}
    if parts.kind == "carousel":
        body["caption"] = parts.caption or ""
    return body
