"""Fetch one web page for a `url:` brief: size, time and redirect limits, SSRF checks on every hop.

Redirects are followed here, not by aiohttp, so that every hop's URL is checked (bot.links.guard) before
anything connects to it. The body is read in chunks and abandoned at `max_bytes`, counted after
decompression, so neither a lying Content-Length nor a gzip bomb gets past the limit.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from bot.config import LinksConfig
from bot.errors import LinkError, LinkRefused, LinkTimedOut, LinkUnreachable, NotAWebPage, PageTooLarge
from bot.links.guard import AddressPolicy, GuardedResolver

log = logging.getLogger(__name__)

REDIRECTS = frozenset((301, 302, 303, 307, 308))
HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))
CHUNK = 65536
# What a file that is not a web page starts with, for a server that sends no Content-Type.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
)
KINDS = {"application/pdf": "a PDF", "application/json": "JSON data", "text/plain": "plain text"}


@dataclass(frozen=True)
class FetchedPage:
    url: str  # the address the page came from, after redirects
    html: bytes
    charset: str | None


def parse_url(raw: str) -> URL:
    """The user's link as a URL, or LinkRefused naming what is wrong."""
    text = raw.strip()
    try:
        url = URL(text)
    except (ValueError, TypeError) as exc:
        raise LinkRefused(f"{text[:200]!r} is not a web address.", url=text) from exc
    if not url.is_absolute():
        raise LinkRefused(f"{text[:200]!r} is not a full web address: start it with https://.", url=text)
    return url.with_fragment(None)


def _kind(content_type: str) -> str:
    if content_type in KINDS:
        return KINDS[content_type]
    major = content_type.split("/", 1)[0]
    return {"image": "an image", "video": "a video", "audio": "audio"}.get(major, f"a {content_type} file")


def _not_html(url: str, what: str) -> NotAWebPage:
    return NotAWebPage(f"The link is {what}, not a web page: give the address of an HTML page.", url=url)


class PageFetcher:
    """One aiohttp session whose connector resolves through GuardedResolver. Open it with `open()` (or
    `async with`), which the composition root owns; `resolver` is the seam tests use to map a test name
    to an address (it is still checked)."""

    def __init__(self, config: LinksConfig, *, resolver: AbstractResolver | None = None) -> None:
        self.config = config
        self.policy = AddressPolicy.from_config(config)
        self._resolver = GuardedResolver(self.policy, resolver)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(resolver=self._resolver, limit=32, ttl_dns_cache=10)
        self._session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,  # never through an environment proxy: it would resolve names unchecked
            headers={"User-Agent": self.config.user_agent, "Accept": "text/html,application/xhtml+xml"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout_s),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> PageFetcher:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def fetch(self, raw_url: str) -> FetchedPage:
        """The page at `raw_url`, or a LinkError in plain words."""
        url = parse_url(raw_url)
        try:
            async with asyncio.timeout(self.config.timeout_s):
                return await self._follow(url, raw_url)
        except TimeoutError as exc:
            raise LinkTimedOut(
                f"The page took longer than {self.config.timeout_s:g} s to arrive; try again later or "
                "give another link.",
                url=raw_url,
            ) from exc

    async def _follow(self, url: URL, raw_url: str) -> FetchedPage:
        if self._session is None:
            raise RuntimeError("PageFetcher.open() was not called")
        for _hop in range(self.config.max_redirects + 1):
            try:
                self.policy.check_url(url)
                async with self._session.get(url, allow_redirects=False) as resp:
                    if resp.status in REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            raise LinkUnreachable(
                                f"{url.host} answered a redirect without an address.", url=raw_url
                            )
                        url = url.join(URL(location)).with_fragment(None)
                        continue
                    return await self._read(resp, str(url), raw_url)
            except LinkRefused as exc:
                if exc.value != raw_url:  # a redirect's hop, or the resolver, which knows no link
                    raise LinkRefused(str(exc), url=raw_url) from None
                raise
            except LinkError:
                raise
            except (aiohttp.ClientError, OSError) as exc:
                log.info("link %s unreachable: %s", url.host, type(exc).__name__)
                raise LinkUnreachable(
                    f"PostPulse could not reach {url.host}: check the address, or try again later.",
                    url=raw_url,
                ) from exc
        raise LinkUnreachable(
            f"The link redirected more than {self.config.max_redirects} times.", url=raw_url
        )

    async def _read(self, resp: aiohttp.ClientResponse, final: str, raw_url: str) -> FetchedPage:
        if resp.status >= 400:
            raise LinkUnreachable(
                f"{resp.url.host} answered {resp.status} {resp.reason or ''}".rstrip()
                + ": the page is missing or not public.",
                url=raw_url,
            )
        declared = "Content-Type" in resp.headers
        if declared and resp.content_type not in HTML_TYPES:
            raise _not_html(raw_url, _kind(resp.content_type))
        limit = self.config.max_bytes
        too_large = PageTooLarge(
            f"The page is larger than {limit / 1e6:g} MB, more than PostPulse reads: give a shorter page.",
            url=raw_url,
        )
        if resp.content_length is not None and resp.content_length > limit:
            raise too_large
        body = bytearray()
        async for chunk in resp.content.iter_chunked(CHUNK):
            body.extend(chunk)
            if len(body) > limit:
                raise too_large
        if not declared:
            for signature, what in SIGNATURES:
                if body.startswith(signature):
                    raise _not_html(raw_url, what)
        return FetchedPage(final, bytes(body), resp.charset)
