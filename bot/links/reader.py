"""LinkReader: a link -> a PageBrief, with pages cached by URL for `links.cache_ttl_s`.

The cache holds extracted pages (the fetch and the extraction are the slow parts), keyed by the link as
given, bounded to `links.cache_entries` (least recently used go first), and timed by an injected clock
so tests need no sleeping. Two requests for the same uncached link at once share one fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp.abc import AbstractResolver

from bot.config import LinksConfig
from bot.errors import InvalidOption
from bot.links.extract import Page, PageBrief, SpecificsFinder, brief_from_page, extract_page, guard_specifics
from bot.links.fetch import PageFetcher, parse_url


class PageCache:
    def __init__(self, ttl_s: float, entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.entries = entries
        self.clock = clock
        self._pages: OrderedDict[str, tuple[float, Page]] = OrderedDict()

    def get(self, key: str) -> Page | None:
        hit = self._pages.get(key)
        if hit is None:
            return None
        if hit[0] <= self.clock():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return hit[1]

    def put(self, key: str, page: Page) -> None:
        if self.ttl_s <= 0 or self.entries <= 0:
            return
        self._pages[key] = (self.clock() + self.ttl_s, page)
        self._pages.move_to_end(key)
        while len(self._pages) > self.entries:
            self._pages.popitem(last=False)


class LinkReader:
    """What a front door (through the Assistant) calls for `url:`: `await reader.brief(url)`.

    Enter it (`async with LinkReader(config.links) as reader`) in the composition root's exit stack;
    `resolver` and `clock` are test seams; `finder` is the specifics seam (bot.links.extract)."""

    def __init__(
        self,
        config: LinksConfig,
        *,
        resolver: AbstractResolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        finder: SpecificsFinder = guard_specifics,
    ) -> None:
        self.config = config
        self.fetcher = PageFetcher(config, resolver=resolver)
        self.cache = PageCache(config.cache_ttl_s, config.cache_entries, clock)
        self.finder = finder
        self._inflight: dict[str, asyncio.Future[Page]] = {}

    async def open(self) -> None:
        await self.fetcher.open()

    async def close(self) -> None:
        await self.fetcher.close()

    async def __aenter__(self) -> LinkReader:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def page(self, url: str) -> Page:
        """The page's main text, from the cache while fresh (raises a bot.errors.LinkError)."""
        key = str(parse_url(url))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        task = asyncio.ensure_future(self._load(key, url))
        self._inflight[key] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._inflight.pop(key, None)
            else:  # the caller left; the fetch finishes for anyone else waiting, then forgets itself
                task.add_done_callback(lambda _t: self._inflight.pop(key, None))

    async def _load(self, key: str, url: str) -> Page:
        fetched = await self.fetcher.fetch(url)  # errors name the link as the user gave it
        # trafilatura parses with lxml: CPU work, off the event loop
        page = await asyncio.to_thread(extract_page, fetched.html, fetched.url)
        self.cache.put(key, page)
        return page

    async def brief(self, url: str, *, max_chars: int = 1500) -> PageBrief:
        """Title, key points and specifics of the page at `url`; `max_chars` bounds the brief's prompt."""
        return brief_from_page(await self.page(url), max_chars=max_chars, finder=self.finder)

    async def prompt(self, url: str, note: str = "", *, max_chars: int = 4000) -> str:
        """A draft's prompt from the page at `url`: its brief (PageBrief.prompt), then what the person
        typed beside the link (`note`, their angle), within `max_chars` (engine.max_prompt_chars).
        Every specific in it is the page's or the person's, so the fact guard, which allows a draft
        only the specifics its prompt states, keeps drafts to what the page says."""
        extra = f"\nAngle: {note}" if note else ""
        # The brief's own lines besides its points: "Share this article: ", "Key points:".
        room = max_chars - len(extra) - 64
        if room < 200:
            raise InvalidOption(
                "The link and the text beside it leave no room for the page's text: shorten the text.",
                field="prompt",
            )
        brief = await self.brief(url, max_chars=min(1500, room))
        return brief.prompt + extra
