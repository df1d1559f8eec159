"""Typed app keys. The engine and DraftService come from bot.service.BotService (HOLDER)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.catalog import Catalog
from bot.config import AppConfig
from bot.service import BotService

if TYPE_CHECKING:  # annotations only: auth and metrics import this module, never the reverse at run time
    from adapters.http.auth import Guard
    from adapters.http.metrics import HttpMetrics

CONFIG = web.AppKey("config", AppConfig)
CATALOG = web.AppKey("catalog", Catalog)
HOLDER = web.AppKey("holder", BotService)
METRICS: web.AppKey[HttpMetrics] = web.AppKey("metrics")
GUARD: web.AppKey[Guard] = web.AppKey("guard")
