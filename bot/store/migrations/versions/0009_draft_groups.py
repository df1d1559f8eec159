"""Sibling drafts (issue 20): drafts.group_id, shared by the drafts written from one brief for several
platforms at once (`platform:x,linkedin`), indexed so a group is read back in one query.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"  # wt-formats' drafts.parts; the lead re-chains at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("group_id", sa.String(32), nullable=True))
    op.create_index("ix_drafts_group_id", "drafts", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_drafts_group_id", "drafts")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("group_id")
