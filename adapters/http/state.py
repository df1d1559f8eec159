"""Typed app keys. The engine, the DraftService and the Assistant come from the BotService (SERVICE)."""

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
SERVICE = web.AppKey("service", BotService)
METRICS: web.AppKey[HttpMetrics] = web.AppKey("metrics")
GUARD: web.AppKey[Guard] = web.AppKey("guard")
