"""The learning loop (issue 19): adapter_versions (each brand's trained adapters and the gate's
decision), learn_runs (each `postpulse learn` run), drafts.adapter_version (the vN that wrote a draft)
and brand_examples.details (an imported post's brief, platform, tone, date and engagement).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("drafts", sa.Column("adapter_version", sa.Integer(), nullable=True))
    op.add_column("brand_examples", sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "adapter_versions",
        sa.Column("brand", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("parent_version", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
    )
    op.create_index("ix_adapter_versions_state", "adapter_versions", ["state"])
    op.create_table(
        "learn_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("data_until", TZ, nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
    )
    op.create_index("ix_learn_runs_brand", "learn_runs", ["brand"])


def downgrade() -> None:
    op.drop_index("ix_learn_runs_brand", "learn_runs")
    op.drop_table("learn_runs")
    op.drop_index("ix_adapter_versions_state", "adapter_versions")
    op.drop_table("adapter_versions")
    with op.batch_alter_table("brand_examples") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("adapter_version")
