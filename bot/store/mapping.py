"""StoredDraft <-> rows, in one place: the columns that mirror a field are listed once and used in
both directions, so a new field cannot be written on the way in and forgotten on the way out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from bot.brief import Brief
from bot.formats.parts import Parts
from bot.postprocess import Post
from bot.records import Origin, RatingValue, StoredDraft
from bot.store.database import utc
from bot.store.models import ChoiceRow, DraftRow, RatingRow, VariantRow

# Same name on StoredDraft and DraftRow / on Origin and DraftRow.
DRAFT_COLUMNS = (
    "id",
    "tenant",
    "parent_id",
    "action",
    "model",
    "adapter",
    "backend",
    "adapter_version",
    "request_id",
    "platform_limit",
    "generation_seconds",
    "prompt_tokens",
    "completion_tokens",
    "scores",
    "group_id",
)
ORIGIN_COLUMNS = ("front_door", "user_id", "user_name", "workspace_id", "channel_id")
CORE_POST_FIELDS = ("text", "word_count", "character_count", "hashtags", "truncated")


def draft_rows(draft: StoredDraft, finish_reasons: Sequence[str] = ()) -> tuple[DraftRow, list[VariantRow]]:
    row = DraftRow(
        **{name: getattr(draft, name) for name in DRAFT_COLUMNS},
        **{name: getattr(draft.origin, name) for name in ORIGIN_COLUMNS},
        brief=draft.brief.model_dump(mode="json"),
        created_at=draft.created_at,
        parts=draft.parts.stored() if draft.parts is not None else None,
    )
    variants = [
        VariantRow(
            draft_id=draft.id,
            index=i,
            **{name: getattr(post, name) for name in CORE_POST_FIELDS},
            finish_reason=finish_reasons[i] if i < len(finish_reasons) else None,
            details=post_details(post),
        )
        for i, post in enumerate(draft.variants)
    ]
    return row, variants


def stored_draft(
    row: DraftRow, variants: Sequence[VariantRow], ratings: Sequence[RatingRow], choice: ChoiceRow | None
) -> StoredDraft:
    """`ratings` in insertion order: the last one per variant wins."""
    latest: dict[int, RatingValue] = {}
    for rating in ratings:
        latest[rating.variant] = rating.rating  # type: ignore[assignment]
    brief = Brief.model_validate(row.brief)
    return StoredDraft(
        **{name: getattr(row, name) for name in DRAFT_COLUMNS},
        origin=Origin(**{name: getattr(row, name) for name in ORIGIN_COLUMNS}),
        brief=brief,
        parts=Parts.from_stored(row.parts, brief.platform) if row.parts is not None else None,
        created_at=utc(row.created_at),
        variants=[post_from_row(v) for v in variants],
        ratings=latest,
        chosen_variant=choice.variant if choice is not None else None,
    )


def post_details(post: Post) -> dict[str, Any] | None:
    """Post's fields beyond the core columns, JSON-ready (tuples as lists)."""
    extra = {
        f.name: list(value) if isinstance(value, tuple) else value
        for f in dataclasses.fields(post)
        if f.name not in CORE_POST_FIELDS and (value := getattr(post, f.name)) != f.default
    }
    return extra or None


def post_from_row(row: VariantRow) -> Post:
    known = {f.name: f for f in dataclasses.fields(Post)}
    extra: dict[str, Any] = {}
    for name, value in (row.details or {}).items():
        if name in known and name not in CORE_POST_FIELDS:  # a field a later version dropped is skipped
            extra[name] = tuple(value) if isinstance(known[name].default, tuple) else value
    return Post(row.text, row.word_count, row.character_count, list(row.hashtags), row.truncated, **extra)
