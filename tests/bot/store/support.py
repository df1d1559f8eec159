"""Drafts to store in the store tests: real Brief and Post values, as the Assistant would save them;
and what the store wrote, read back with plain queries (the store has no test-only methods)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.brief import Brief
from bot.postprocess import Post
from bot.records import Origin, RemixAction, StoredDraft
from bot.store import Store, new_draft_id
from bot.store.models import DraftRow, RatingRow
from bot.tenancy import Tenancy


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
    origin = origin or Origin("slack", "U1", "T1", "C1", "alice")
    return StoredDraft(
        id=new_draft_id(),
        brief=brief,
        variants=posts,
        origin=origin,
        tenant=Tenancy().of(origin),
        model="SmolLM2-135M-Instruct",
        generation_seconds=1.25,
        created_at=datetime.now(UTC),
        platform_limit=280,
        parent_id=parent_id,
        action=action,
        scores=[{"total": 0.5}] * variants,
        request_id="req-1",
        adapter="postpulse-smollm2",
        backend="vllm",
        prompt_tokens=120,
        completion_tokens=30,
    )


async def rating_rows(store: Store, draft_id: str) -> list[RatingRow]:
    """Every rating row of a draft, oldest first."""
    async with AsyncSession(store.db) as session:
        query = select(RatingRow).where(RatingRow.draft_id == draft_id).order_by(RatingRow.id)
        return list((await session.scalars(query)).all())


async def children(store: Store, draft_id: str) -> list[tuple[str, str | None]]:
    """Remixes made from a draft, oldest first: (id, action)."""
    async with AsyncSession(store.db) as session:
        query = select(DraftRow.id, DraftRow.action).where(DraftRow.parent_id == draft_id)
        rows = await session.execute(query.order_by(DraftRow.created_at))
        return [(row.id, row.action) for row in rows]
