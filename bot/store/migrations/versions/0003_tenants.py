"""drafts.tenant: the team every draft belongs to (bot.tenancy), indexed, every lookup filters on it.

Existing drafts are assigned from what was stored with them: a Slack draft to its team, a Discord
draft to its guild (a DM's to its user), an HTTP draft made with an API key to that key's brand when
the server that runs this migration maps the key to one (`key_tenants`, handed over by
bot.store.migrate), else to the key itself; HTTP drafts from the key-less setup, the playground and
the console to `default`. The column keeps the server default `unassigned`, which no origin maps
to: a row written without a tenant (an older replica during a rolling upgrade) is nobody's.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNASSIGNED = "unassigned"

drafts = sa.table(
    "drafts",
    sa.column("tenant", sa.String),
    sa.column("front_door", sa.String),
    sa.column("workspace_id", sa.String),
    sa.column("user_id", sa.String),
)


def _key_tenants() -> dict[str, str]:
    attributes = getattr(context.config, "attributes", {}) if context.config is not None else {}
    return dict(attributes.get("key_tenants") or {})


def upgrade() -> None:
    # NOT NULL with a server default: SQLite adds it in place (no table copy under foreign keys).
    op.add_column("drafts", sa.Column("tenant", sa.String(160), nullable=False, server_default=UNASSIGNED))
    op.create_index("ix_drafts_tenant", "drafts", ["tenant"])
    c = drafts.c
    op.execute(drafts.update().values(tenant="default"))
    for door in ("slack", "discord"):
        op.execute(
            drafts.update()
            .where(c.front_door == door, c.workspace_id.is_not(None))
            .values(tenant=sa.literal(f"{door}:") + c.workspace_id)
        )
        op.execute(
            drafts.update()
            .where(c.front_door == door, c.workspace_id.is_(None))
            .values(tenant=sa.literal(f"{door}:user:") + c.user_id)
        )
    # With keys on, an HTTP draft's workspace is its key's id ("key:…"); without, the client address.
    op.execute(
        drafts.update()
        .where(c.front_door == "http", c.workspace_id.like("key:%"))
        .values(tenant=c.workspace_id)
    )
    for key, tenant in _key_tenants().items():
        op.execute(drafts.update().where(c.front_door == "http", c.workspace_id == key).values(tenant=tenant))


def downgrade() -> None:
    op.drop_index("ix_drafts_tenant", "drafts")
    op.drop_column("drafts", "tenant")  # SQLite >= 3.35 drops it in place, as PostgreSQL does
