"""Draft -> the public JSON response shape, the same for every front door that speaks JSON."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.drafts import Draft


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
    }
