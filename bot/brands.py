"""One adapter per brand: which LoRA writes a draft, chosen by where the request came from.

Config (`brands:` in the YAML) maps a brand — named after its adapter — to the Slack workspaces,
Discord guilds and HTTP API keys it serves:

    brands:
      acme:
        adapter: training/lora/acme        # PEFT dir from `postpulse train` on acme's own posts
        slack_workspaces: [T0ACME]
        discord_guilds: ["81234567890"]
        api_keys_env: ACME_API_KEYS        # comma-separated keys; also accepted by the HTTP API

Every brand gets its own engine, built by the configured backend from a copy of the config in which
`model.adapter` is the brand's adapter and `engine.openai.model` its served name. So on a GPU, where
one vLLM serves the base model and every adapter by name (`--lora-modules acme=DIR`), a brand's
engine is an `openai` client asking for model `acme`; on CPU (transformers, or the managed vLLM with
`adapter_mode: merged`) it is one merged model per adapter. Origins no brand claims use the default
engine (`model.adapter`). The adapter's name is recorded on every draft it writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import Executor

from bot.catalog import Catalog
from bot.config import AppConfig, BrandConfig
from bot.drafts import DraftService
from bot.errors import ConfigError
from bot.lifecycle import stop_loaded
from bot.records import Origin
from engine.backends.live import LiveEngine
from engine.errors import EngineDead, EngineNotReady
from engine.interface import Engine

log = logging.getLogger(__name__)

EngineLoader = Callable[[AppConfig], Callable[[], Awaitable[Engine]]]


def api_key_id(key: str) -> str:
    """The caller id the HTTP front door derives from an API key (adapters.http.auth.caller_id):
    what Origin.workspace_id holds for an HTTP request, so the key itself is never stored."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def api_keys(brand: BrandConfig, env: Mapping[str, str]) -> list[str]:
    raw = env.get(brand.api_keys_env, "") if brand.api_keys_env else ""
    return [key.strip() for key in raw.split(",") if key.strip()]


class BrandRouter:
    """Origin -> brand name. Built once at start-up; a workspace claimed by two brands is a config error."""

    def __init__(self, brands: Mapping[str, BrandConfig], env: Mapping[str, str]) -> None:
        self.brands = dict(brands)
        self._routes: dict[tuple[str, str], str] = {}
        for name, brand in self.brands.items():
            for front_door, ids in (
                ("slack", brand.slack_workspaces),
                ("discord", brand.discord_guilds),
                ("http", [api_key_id(key) for key in api_keys(brand, env)]),
            ):
                for workspace in ids:
                    self._claim(front_door, str(workspace), name)

    def _claim(self, front_door: str, workspace: str, name: str) -> None:
        other = self._routes.setdefault((front_door, workspace), name)
        if other != name:
            what = "an API key" if front_door == "http" else f"{front_door} workspace {workspace}"
            raise ConfigError(f"config: brands: {what} is mapped to both '{other}' and '{name}'")

    def key_brands(self) -> dict[str, str]:
        """API key id -> brand (bot.tenancy: a brand's keys share their drafts)."""
        return {workspace: name for (door, workspace), name in self._routes.items() if door == "http"}

    def brand_for(self, origin: Origin) -> str | None:
        """The brand serving this origin; None: the default engine."""
        if origin.workspace_id is None:
            return None
        return self._routes.get((origin.front_door, str(origin.workspace_id)))


def brand_config(config: AppConfig, name: str) -> AppConfig:
    """The app config as this brand's engine sees it: its adapter, and its name on a model server."""
    brand = config.brands[name]
    model = config.model.model_copy(update={"adapter": brand.adapter})
    openai = config.engine.openai.model_copy(update={"model": brand.served_name or name})
    engine = config.engine.model_copy(update={"openai": openai})
    return config.model_copy(update={"model": model, "engine": engine})


class BrandEngines:
    """The engines (and DraftServices) of every configured brand, loaded in the background.

    A brand whose engine is still loading answers EngineNotReady, one that failed EngineDead; neither
    falls back to the default engine, because a brand's drafts must be written by its own adapter.
    """

    def __init__(
        self,
        config: AppConfig,
        catalog: Catalog,
        env: Mapping[str, str],
        *,
        executor: Executor | None = None,
    ) -> None:
        """`executor`: where the brands' drafts are finished (bot.pool; BotService passes its own)."""
        self.config = config
        self.catalog = catalog
        self.executor = executor
        self.router = BrandRouter(config.brands, env)
        self.drafts: dict[str, DraftService] = {}
        self.errors: dict[str, BaseException] = {}

    def __bool__(self) -> bool:
        return bool(self.router.brands)

    def attach(self, name: str, engine: Engine) -> DraftService:
        """The brand's engine is up: whoever started it (`loading`, or a test) also stops it. It serves
        behind a LiveEngine, so the learning loop can swap the brand's adapter (bot.learn.watch)."""
        if name not in self.router.brands:
            raise ConfigError(f"config: brands: no brand '{name}' (configured: {sorted(self.router.brands)})")
        live = engine if isinstance(engine, LiveEngine) else LiveEngine(engine, owned=False)
        drafts = DraftService.build(live, self.catalog, self.config, brand=name, executor=self.executor)
        self.drafts[name] = drafts
        return drafts

    def live(self, name: str) -> LiveEngine | None:
        """The brand's engine, once it is up."""
        drafts = self.drafts.get(name)
        return drafts.engine if drafts is not None and isinstance(drafts.engine, LiveEngine) else None

    @contextlib.asynccontextmanager
    async def loading(self, loader: EngineLoader) -> AsyncIterator[None]:
        """Start every brand's engine in the background (`loader(brand_config)` is the backend's
        start-up) for the life of the block; on exit, stop what was started, logging any failure."""
        tasks = {
            name: asyncio.create_task(
                self._load(name, loader(brand_config(self.config, name))), name=f"postpulse-brand-{name}"
            )
            for name in self.router.brands
            if name not in self.drafts
        }
        try:
            yield
        finally:
            for name, task in tasks.items():
                await stop_loaded(f"brand {name}'s engine", task)

    async def _load(self, name: str, load: Callable[[], Awaitable[Engine]]) -> Engine | None:
        try:
            engine = await load()
        except Exception as exc:
            log.error("brand %s: its engine failed to start: %s", name, exc)
            self.errors[name] = exc
            return None
        live = LiveEngine(engine)  # owns it: stopping the LiveEngine stops it, and any swapped in later
        self.attach(name, live)
        log.info("brand %s ready: %s on %s", name, engine.model_name, engine.backend)
        return live

    def get(self, origin: Origin) -> DraftService | None:
        """The brand's DraftService for this origin; None when no brand claims it."""
        name = self.router.brand_for(origin)
        if name is None:
            return None
        if name in self.errors:
            raise EngineDead(f"brand {name}'s model failed to load; see the server log")
        drafts = self.drafts.get(name)
        if drafts is None:
            raise EngineNotReady(f"brand {name}'s model is still loading; retry shortly")
        if drafts.engine.is_dead:
            raise EngineDead(f"brand {name}'s engine has stopped; the service needs a restart")
        return drafts
