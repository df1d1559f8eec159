"""`build_runtime(config, env)`: the composition root. Every resource a PostPulse process holds is
opened here, in one place and one order, and closed in reverse through one AsyncExitStack:

    drafts store -> quality pool (bot.pool: drafts are finished there, off the loop)
      -> link reader (bot.links: its aiohttp session, for `url:` briefs)
      -> BotService (tone judge warming in the pool; engine and brand engines, loading in the background)
      -> the adapter watcher (bot.learn.watch: promoted adapter versions swapped in live)
      -> the learning schedule, with `learn.schedule` (bot.learn.schedule: training children, one replica)
      -> HTTP sidecar (create_app; Slack mounted on it) listening -> Discord

`postpulse serve`, `postpulse chat` (the bot alone: `front_doors=False`) and the tests all enter it,
so a test's app is built the way production builds it. The environment is read once, by the caller,
and handed down as `env`; nothing below looks at os.environ. A teardown step that fails is logged
(bot.lifecycle.stop_logged) and the steps after it still run. Compare aiohttp's cleanup_ctx and
nano-vllm's LLMEngine.__init__.

Who opens a thing closes it: pass `engine` or `store` to borrow one the caller started (a test's
session engine); the runtime then leaves it open.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

import adapters.discord as discord_door
import adapters.slack as slack
from adapters.http import create_app, make_runner, start_site
from adapters.http.app import DEFAULT_GRACE_S
from bot.brandkit.kit import DEFAULT_BRAND
from bot.brands import BrandRouter
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.learn.schedule import Command, LearnScheduler, TrainingLock
from bot.learn.swap import VersionLoader
from bot.learn.watch import AdapterWatcher
from bot.lifecycle import stop_logged
from bot.links import LinkReader
from bot.pool import close_pool, quality_pool
from bot.service import BotService, Loader
from bot.store import Store, database_url, open_store
from bot.tenancy import Tenancy
from engine.interface import Engine

log = logging.getLogger(__name__)

Stop = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class FrontDoor:
    """A chat adapter the runtime starts when its credentials are in the environment.

    `start(service, config, env)` runs on the shared loop; `service.get()` gives the DraftService once
    the engine is up (EngineNotReady before). It returns an async `stop`.
    `mount(app, service, config, env)`, when given, runs instead of `start`, before the sidecar
    listens: it adds the adapter's routes to the sidecar (Slack's /slack/events; the router freezes
    once the runner is set up) and ties the adapter's life to the app's (a cleanup_ctx).
    """

    name: str
    env_vars: tuple[str, ...]
    start: Callable[[BotService, AppConfig, Mapping[str, str]], Awaitable[Stop]]
    mount: Callable[[web.Application, BotService, AppConfig, Mapping[str, str]], None] | None = None


FRONT_DOORS: tuple[FrontDoor, ...] = (
    FrontDoor("slack", slack.REQUIRED_ENV, slack.start, mount=slack.mount),
    FrontDoor("discord", discord_door.ENV_VARS, discord_door.start),
)


@dataclass(frozen=True)
class Runtime:
    """What a running process holds. `app` and `url` are the sidecar's (None with front_doors=False)."""

    config: AppConfig
    service: BotService
    watcher: AdapterWatcher
    scheduler: LearnScheduler | None = None  # with `learn.schedule` only
    app: web.Application | None = None
    url: str | None = None


@contextlib.asynccontextmanager
async def build_runtime(
    config: AppConfig,
    env: Mapping[str, str],
    *,
    front_doors: bool = True,
    host: str | None = None,
    port: int | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    engine: Engine | None = None,
    loader: Loader | None = None,
    store: Store | None = None,
    catalog: Catalog | None = None,
    links: LinkReader | None = None,
    version_loader: VersionLoader | None = None,
    learn_command: Command | None = None,
) -> AsyncIterator[Runtime]:
    """Open everything, yield the Runtime, close everything in reverse.

    `host`/`port` default to `http.host`/`http.port` (port 0: any free one; `Runtime.url` says which).
    `grace_s`: on shutdown, in-flight HTTP requests get this long. `loader` replaces the configured
    backend's start-up. `front_doors=False`: the bot alone, for a front door of the caller's own.
    `links`: a LinkReader the caller opened (a test's, whose resolver never leaves loopback).
    `version_loader` replaces how the watcher starts a promoted adapter version's engine;
    `learn_command(brand)` the child a scheduled learning run starts (serve passes its --config).
    """
    async with contextlib.AsyncExitStack() as stack:
        if store is None:
            # migrations run here; a bad DATABASE_URL stops start-up with its reason
            # the brands' API keys, so the tenant migration files their old drafts under the brand
            key_tenants = Tenancy(BrandRouter(config.brands, env).key_brands()).key_tenants
            url = database_url(config.store.url, config.store.path)
            store = await open_store(url, key_tenants=key_tenants)
            stack.push_async_callback(stop_logged, "the drafts store", store.close)
        pool = quality_pool()
        stack.push_async_callback(stop_logged, "the quality pool", lambda: close_pool(pool))
        if links is None:  # POSTPULSE_FETCH_ALLOW_PRIVATE reached config.links through load_config(env)
            links = LinkReader(config.links)
            await links.open()
            stack.push_async_callback(stop_logged, "the link reader", links.close)
        service = BotService(
            config, catalog or Catalog.from_config(config), store, env, executor=pool, links=links
        )
        service.warm_judge()
        if engine is not None:
            service.attach(engine)
        else:
            await stack.enter_async_context(service.loading(loader))
        watcher = AdapterWatcher(
            service,
            store.adapters,
            poll_s=config.learn.poll_s,
            ab_share=config.learn.ab_share,
            loader=version_loader,
        )
        await stack.enter_async_context(watcher.watching())
        scheduler = None
        if config.learn.every_s is not None:
            scheduler = LearnScheduler(
                TrainingLock(store.db),
                [DEFAULT_BRAND, *config.brands],
                every_s=config.learn.every_s,
                nice=config.learn.nice,
                env=env,
                command=learn_command,
            )
            await stack.enter_async_context(scheduler.scheduled())
        if not front_doors:
            yield Runtime(config, service, watcher, scheduler)
            return
        app = create_app(config, service, env)
        doors = [door for door in FRONT_DOORS if all(env.get(var) for var in door.env_vars)]
        for door in FRONT_DOORS:
            if door not in doors:
                log.info("%s adapter off: set %s to start it", door.name, ", ".join(door.env_vars))
            elif door.mount is not None:
                door.mount(app, service, config, env)
                log.info("%s adapter mounted on the sidecar", door.name)
        runner = make_runner(app, grace_s=grace_s)
        await runner.setup()
        stack.push_async_callback(stop_logged, "the HTTP sidecar", runner.cleanup)
        host = host or config.http.host
        _, bound = await start_site(runner, host, config.http.port if port is None else port)
        log.info("PostPulse HTTP API listening on http://%s:%d (model %s)", host, bound, service.status)
        for door in doors:
            if door.mount is None:
                stack.push_async_callback(
                    stop_logged, f"the {door.name} adapter", await door.start(service, config, env)
                )
                log.info("%s adapter started", door.name)
        yield Runtime(config, service, watcher, scheduler, app, f"http://{host}:{bound}")
