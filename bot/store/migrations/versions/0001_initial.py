"""The drafts store: drafts, variants, ratings, choices, channel defaults, deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("drafts.id"), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("front_door", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=True),
        sa.Column("workspace_id", sa.String(128), nullable=True),
        sa.Column("channel_id", sa.String(128), nullable=True),
        sa.Column("brief", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("adapter", sa.String(200), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("platform_limit", sa.Integer(), nullable=False),
        sa.Column("generation_seconds", sa.Float(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_drafts_parent_id", "drafts", ["parent_id"])
    op.create_index("ix_drafts_created_at", "drafts", ["created_at"])
    op.create_table(
        "variants",
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), primary_key=True),
        sa.Column("index", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("character_count", sa.Integer(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("finish_reason", sa.String(16), nullable=True),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("front_door", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ratings_draft_variant_user", "ratings", ["draft_id", "variant", "user_id"])
    op.create_index("ix_ratings_created_at", "ratings", ["created_at"])
    op.create_table(
        "choices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("front_door", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_choices_draft_id", "choices", ["draft_id"])
    op.create_index("ix_choices_created_at", "choices", ["created_at"])
    op.create_table(
        "channel_defaults",
        sa.Column("front_door", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(128), primary_key=True),
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_deliveries_created_at", "deliveries", ["created_at"])


def downgrade() -> None:
    for table in ("deliveries", "channel_defaults", "choices", "ratings", "variants", "drafts"):
        op.drop_table(table)
