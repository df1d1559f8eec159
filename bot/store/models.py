"""The drafts store's tables (SQLAlchemy 2.x declarative). Portable types only (no JSONB, no
SQLite-specific SQL) so the same models run on SQLite and PostgreSQL; the schema itself is created
and changed by the Alembic migrations in `migrations/versions`, never by `create_all`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DraftRow(Base):
    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("drafts.id"), index=True)
    action: Mapped[str | None] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(160), index=True)  # bot.tenancy: every lookup filters on it
    front_door: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(128))
    workspace_id: Mapped[str | None] = mapped_column(String(128))
    channel_id: Mapped[str | None] = mapped_column(String(128))
    brief: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(200))
    adapter: Mapped[str | None] = mapped_column(String(200))
    backend: Mapped[str | None] = mapped_column(String(32))  # the engine backend that wrote it
    adapter_version: Mapped[int | None] = mapped_column(Integer)  # the brand adapter's vN (bot learning loop)
    request_id: Mapped[str | None] = mapped_column(String(64))
    platform_limit: Mapped[int] = mapped_column(Integer)
    generation_seconds: Mapped[float] = mapped_column(Float)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    scores: Mapped[list[dict[str, float]] | None] = mapped_column(JSON)
    parts: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a thread or carousel (bot.formats)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # siblings from one brief, one per platform (`platform:x,linkedin`); None for a lone draft
    group_id: Mapped[str | None] = mapped_column(String(32), index=True)


class VariantRow(Base):
    __tablename__ = "variants"

    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    character_count: Mapped[int] = mapped_column(Integer)
    hashtags: Mapped[list[str]] = mapped_column(JSON)
    truncated: Mapped[bool] = mapped_column(default=False)
    finish_reason: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # Post's other fields (bot.store.posts)


class RatingRow(Base):
    """Every rating ever given is kept; the latest per (draft, variant, user) is the verdict. Its
    tenant is its draft's (ratings, choices and variants reach it through draft_id)."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_draft_variant_user", "draft_id", "variant", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"))
    variant: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(8))
    front_door: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChoiceRow(Base):
    """ "Use this" clicks (the A/B signal); the latest per draft is the chosen variant."""

    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"), index=True)
    variant: Mapped[int] = mapped_column(Integer)
    front_door: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ChannelDefaultsRow(Base):
    """Per-channel option defaults. Absent workspace/channel are stored as '' so the key stays a
    primary key on every database (NULLs never collide in a unique index)."""

    __tablename__ = "channel_defaults"

    front_door: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    """Processed delivery ids: the primary key makes a second claim fail in the database itself,
    so a retry landing on another replica is rejected too."""

    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ReviewRow(Base):
    """A draft's review state, one row per draft once its review starts (no row: `draft`).
    `version` goes up with every transition and edit; each write is an UPDATE conditional on the
    version it read, so two replicas racing on one draft cannot both move it (bot.store.reviews)."""

    __tablename__ = "reviews"

    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    approved_variant: Mapped[int | None] = mapped_column(Integer)
    approved_revision: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RevisionRow(Base):
    """An edit of one variant (number 1..; number 0 is the variant's own text in `variants`)."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("draft_id", "variant", "number", name="uq_revisions_draft_variant_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"), index=True)
    variant: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str | None] = mapped_column(String(128))
    front_door: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewEventRow(Base):
    """The audit trail: every review transition and edit, who and when. Insert-only."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(32), ForeignKey("drafts.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))  # the state it left the draft in
    actor_id: Mapped[str] = mapped_column(String(128))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    front_door: Mapped[str] = mapped_column(String(16))
    variant: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class BrandKitRow(Base):
    """A brand's kit as its admins set it (bot.brandkit): only the fields they set, so the config's
    starting kit fills the rest and a field set here wins."""

    __tablename__ = "brand_kits"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BrandExampleRow(Base):
    """A brand's example posts. The (brand, content hash) key makes adding the same text twice, from
    chat or an import of past posts, add nothing, on every replica."""

    __tablename__ = "brand_examples"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # chat | http | import
    # an imported post's brief, platform, tone, date and engagement (likes, shares, ...), when given
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    added_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AdapterVersionRow(Base):
    """One trained adapter of a brand (`<adapters_dir>/<brand>/vN`), and what the learning loop
    decided about it. At most one version per brand is `promoted` (serving) and at most one `testing`
    (the A/B candidate); every replica reads these rows, so a promotion or rollback reaches all."""

    __tablename__ = "adapter_versions"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), index=True)  # bot.store.adapter_versions.STATES
    parent_version: Mapped[int | None] = mapped_column(Integer)  # trained from; None: the shipped adapter
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the eval report the gate read
    reason: Mapped[str | None] = mapped_column(Text)  # why it was promoted, rejected or rolled back
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearnRunRow(Base):
    """One `postpulse learn` run of a brand: when it started and ended, what it used (the cursor the
    next run starts after) and how it ended."""

    __tablename__ = "learn_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # promoted | testing | rejected | too_little | failed
    outcome: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)  # the version it trained, if any
    data_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # newest feedback it used
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
