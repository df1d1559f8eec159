"""An Assistant over the real tiny model, set up for tests that draft many times on 2 shared cores."""

from __future__ import annotations

from bot.assistant import Assistant
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.store import Store
from engine.backends.transformers.async_engine import AsyncEngine


def assistant_over(engine: AsyncEngine, store: Store, catalog: Catalog, config: AppConfig) -> Assistant:
    """One candidate per draft (so what a test checks cannot be passed over by best-of-n: it must be
    handled), no per-user rate limit, and a deadline a busy shared machine does not hit."""
    limits = config.engine.model_copy(update={"request_timeout_s": 1800})
    quality = config.quality.model_copy(update={"best_of": {"transformers": 1}})
    bot = config.bot.model_copy(update={"user_rate_limit_per_minute": 0})
    config = config.model_copy(update={"engine": limits, "quality": quality, "bot": bot})
    service = DraftService(engine, catalog, config.engine, quality=config.quality)
    return Assistant(lambda: service, store, catalog, config)
