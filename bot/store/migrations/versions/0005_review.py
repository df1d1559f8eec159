"""Review states, revisions and the review audit trail (issue 21).

`reviews` holds one row per draft whose review has started (state + a version every write is
conditional on); `revisions` the edits (number 1.. per variant; 0 is the variant itself);
`review_events` every transition and edit, who and when. Existing drafts have no row: `draft`.

Revision ID: 0005
Revises: 0003  (the lead re-chains after 0004_brand_kit)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approved_variant", sa.Integer(), nullable=True),
        sa.Column("approved_revision", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(128), nullable=False),
        sa.Column("author_name", sa.String(128), nullable=True),
        sa.Column("front_door", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("draft_id", "variant", "number", name="uq_revisions_draft_variant_number"),
    )
    op.create_index("ix_revisions_draft_id", "revisions", ["draft_id"])
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(32), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(128), nullable=True),
        sa.Column("front_door", sa.String(16), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_events_draft_id", "review_events", ["draft_id"])
    op.create_index("ix_review_events_at", "review_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_review_events_at", "review_events")
    op.drop_index("ix_review_events_draft_id", "review_events")
    op.drop_table("review_events")
    op.drop_index("ix_revisions_draft_id", "revisions")
    op.drop_table("revisions")
    op.drop_table("reviews")
