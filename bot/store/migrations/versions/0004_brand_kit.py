"""brand_kits and brand_examples: each brand's kit as its admins set it, and its example posts
(bot.brandkit). An example's key is (brand, sha256 of its normalised text), so importing the same
post twice adds nothing.

Revision ID: 0004_brand_kit
Revises: 0003 (0003_tenants.py)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "brand_kits",
        sa.Column("brand", sa.String(64), primary_key=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "brand_examples",
        sa.Column("brand", sa.String(64), primary_key=True),
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_brand_examples_created_at", "brand_examples", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_brand_examples_created_at", "brand_examples")
    op.drop_table("brand_examples")
    op.drop_table("brand_kits")
