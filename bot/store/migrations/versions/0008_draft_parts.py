"""drafts.parts: a thread's posts or a carousel's slides and caption (issue 20, bot.formats), stored
with the draft as {"kind": "thread" | "carousel", "parts": [...], "caption": ...}. Nullable: a single
post, and every draft stored before this revision, has none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("parts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("parts")
