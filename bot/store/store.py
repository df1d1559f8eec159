"""The drafts store: one object built whole over one database, holding a repository per job.

    store.drafts      DraftRepository   drafts and their variants, read only within a tenant
    store.feedback    FeedbackRepository ratings, picks, and their export for training
    store.deliveries  DeliveryClaims    "already processed" across replicas
    store.defaults    ChannelDefaults   per-channel option defaults
    store.reviews     ReviewRepository  review states, revisions and their audit trail
    store.brand_kits  BrandKitRepository brand kits as admins set them, and example posts
    store.adapters    AdapterVersions   each brand's trained adapter versions and learn runs
    store.ab          AbCounts          approvals, picks, edits and ratings per adapter version (A/B)

Each write is its own short transaction, committed before the method returns; nothing reads inside
a write transaction, so SQLite's writer lock is held only for the insert itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.store import migrate
from bot.store.ab_counts import AbCounts
from bot.store.adapter_versions import AdapterVersions
from bot.store.brand_kits import BrandKitRepository
from bot.store.database import make_db
from bot.store.defaults import ChannelDefaults
from bot.store.deliveries import DeliveryClaims
from bot.store.drafts import DraftRepository
from bot.store.feedback import FeedbackRepository
from bot.store.reviews import ReviewRepository
from bot.store.url import redact

log = logging.getLogger(__name__)


class Store:
    def __init__(self, db: AsyncEngine) -> None:
        self.db = db  # the SQLAlchemy engine (not the LLM engine)
        sessions = async_sessionmaker(db, expire_on_commit=False)
        self.drafts = DraftRepository(sessions)
        self.feedback = FeedbackRepository(sessions)
        self.deliveries = DeliveryClaims(sessions)
        self.defaults = ChannelDefaults(sessions)
        self.reviews = ReviewRepository(sessions)
        self.brand_kits = BrandKitRepository(sessions)
        self.adapters = AdapterVersions(sessions)
        self.ab = AbCounts(sessions)

    @property
    def url(self) -> str:
        """Safe to log: the password is hidden."""
        return redact(self.db.url.render_as_string(hide_password=False))

    async def close(self) -> None:
        await self.db.dispose()


async def open_store(
    url: str, *, migrate_schema: bool = True, key_tenants: Mapping[str, str] | None = None
) -> Store:
    """Connect and bring the schema to head (Alembic). Raises StoreError naming the (redacted) URL.
    `key_tenants` (bot.tenancy.Tenancy.key_tenants) lets the tenancy migration give drafts made
    with a brand's API key to that brand."""
    db = make_db(url)
    if migrate_schema:
        try:
            await migrate.upgrade(db, key_tenants=key_tenants)
        except BaseException:
            await db.dispose()
            raise
    log.info("drafts store open: %s", redact(url))
    return Store(db)
