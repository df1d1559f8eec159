"""The watcher: each brand serves the adapter version the store says, within one poll, live.

Every `learn.poll_s` it reads `store.adapters.serving()` (brand -> promoted, testing), the one source
every replica shares, and brings each brand's LiveEngine (bot.service / bot.brands; `default` counts
as a brand) to it:
- a new promoted version (a promotion, or a rollback to an older one): its engine is started (bot.learn
  .swap) while the current one serves, then takes new requests; in-flight ones finish on the old,
  which is stopped after. A promoted version that was testing is already up: it just takes over.
- no promoted version any more (a rollback past the first): the brand's configured adapter again.
- a testing version, with `learn.ab_share` > 0: its engine takes that share of the brand's drafts.
A brand no version names keeps its configured adapter, and costs the poll nothing but a dict lookup.

A version whose engine fails to start is logged and not tried again by this process (a broken adapter
must not reload every poll); the brand keeps what it served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.brandkit.kit import DEFAULT_BRAND
from bot.brands import brand_config
from bot.learn.swap import VersionLoader, served_name, version_config, version_loader
from bot.lifecycle import background
from bot.service import BotService, version_label
from bot.store.adapter_versions import AdapterVersion, AdapterVersions
from engine.backends.live import LiveEngine
from engine.interface import Engine

log = logging.getLogger(__name__)


class AdapterWatcher:
    def __init__(
        self,
        service: BotService,
        adapters: AdapterVersions,
        *,
        poll_s: float,
        ab_share: float,
        loader: VersionLoader | None = None,
    ) -> None:
        """`loader`: how a version's engine starts (default: the configured backend, warmed up the way
        the service warms its own engine)."""
        self.service = service
        self.adapters = adapters
        self.poll_s = poll_s
        self.ab_share = ab_share
        self.loader = loader or version_loader(service.warm_up)
        self.failed: dict[str, str] = {}  # version label -> why its engine did not start
        self.checks = 0

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[AdapterWatcher]:
        """Poll for the life of the block (the composition root enters it)."""
        async with background(self._run(), "postpulse-adapter-watcher"):
            yield self

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # a store hiccup: the next poll tries again
                log.exception("checking the store for adapter versions failed")
            await asyncio.sleep(self.poll_s)

    def brands(self) -> list[str]:
        return [DEFAULT_BRAND, *self.service.brands.router.brands]

    async def check(self) -> None:
        """One poll: bring every brand whose engine is up to the versions the store names."""
        serving = await self.adapters.serving()
        self.checks += 1
        for brand in self.brands():
            live = self.service.live(brand)
            if live is None:  # still loading (or failed): the next poll looks again
                continue
            promoted, testing = serving.get(brand, (None, None))
            await self._promote(brand, live, promoted)
            await self._test(brand, live, testing if self.ab_share > 0 else None)

    async def _promote(self, brand: str, live: LiveEngine, promoted: AdapterVersion | None) -> None:
        wanted = promoted.version if promoted is not None else None
        if live.version == wanted:
            return
        if wanted is not None and live.testing_version == wanted:
            live.promote_testing()
            return
        engine = await self._start(brand, promoted)
        if engine is not None:
            live.serve(engine, wanted)
            log.info("brand %s serves %s", brand, version_label(brand, wanted))

    async def _test(self, brand: str, live: LiveEngine, testing: AdapterVersion | None) -> None:
        wanted = testing.version if testing is not None else None
        if live.testing_version == wanted and (wanted is None or live.share == self.ab_share):
            return
        if testing is None:
            live.test(None, None, 0.0)
            return
        engine = await self._start(brand, testing)
        if engine is not None:
            live.test(engine, testing.version, self.ab_share)
            log.info("brand %s: %s writes %.0f%% of drafts", brand, testing.label, 100 * self.ab_share)

    async def _start(self, brand: str, version: AdapterVersion | None) -> Engine | None:
        """The engine for `version` (None: the brand's configured adapter), or None if it fails."""
        label = version_label(brand, version.version if version is not None else None)
        if label in self.failed:
            return None
        config = self.service.config
        if version is not None:
            name = served_name(brand, version.version)
            load = self.loader(version_config(config, brand, version.path), name)
        else:
            base = config if brand == DEFAULT_BRAND else brand_config(config, brand)
            load = self.loader(base, None)
        log.info("brand %s: starting %s while the current adapter serves", brand, label)
        try:
            return await load()
        except Exception as exc:
            log.error("brand %s: %s did not start; keeping what serves: %s", brand, label, exc)
            self.failed[label] = str(exc)
            return None
