"""drafts.backend: the engine backend that wrote each draft (transformers, vllm, openai).

With the hand-off (engine.backends.handoff) one server writes drafts on two backends: the in-process
transformers engine while vLLM starts or restarts, then vLLM. Nullable: drafts stored before this
revision do not know.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("backend", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("backend")
