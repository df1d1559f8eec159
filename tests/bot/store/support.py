"""Drafts to store in the store tests: real Brief and Post values, as the Assistant would save them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.brief import Brief
from bot.postprocess import Post
from bot.records import Origin, RemixAction, StoredDraft
from bot.store import new_draft_id


def make_draft(
    variants: int = 2,
    *,
    prompt: str = "Spring sale on running shoes",
    parent_id: str | None = None,
    action: RemixAction | None = None,
    origin: Origin | None = None,
) -> StoredDraft:
    brief = Brief(prompt=prompt, platform="x", tone="casual", variants=variants, max_length=60, seed=7)
    posts = [
        Post(
            f"Variant {i}: our spring sale starts now! #Sale",
            8,
            44,
            ["#Sale"],
            False,
            removed=("50% off",) if i == 0 else (),
            score={"total": 0.5 + i / 10, "missing_terms": ["running"]},
        )
        for i in range(variants)
    ]
    return StoredDraft(
        id=new_draft_id(),
        brief=brief,
        variants=posts,
        origin=origin or Origin("slack", "U1", "T1", "C1", "alice"),
        model="SmolLM2-135M-Instruct",
        generation_seconds=1.25,
        created_at=datetime.now(UTC),
        platform_limit=280,
        parent_id=parent_id,
        action=action,
        scores=[{"total": 0.5}] * variants,
        request_id="req-1",
        adapter="postpulse-smollm2",
        prompt_tokens=120,
        completion_tokens=30,
    )
