"""A loopback web server of test pages for `url:` briefs (bot.links): an article, a redirect, a 20 MB
page, a slow page, a PDF, a login wall, a 404; and a resolver mapping test names to fixed addresses
(what an attacker's DNS would answer), so nothing leaves loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot.config import LinksConfig
from bot.links import LinkReader

ARTICLE = """<!doctype html><html><head><title>Acme launches the Widget 3</title></head><body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a> Subscribe to our newsletter for weekly deals</nav>
<article><h1>Acme launches the Widget 3</h1>
<p>Acme today released the Widget 3, a pocket espresso maker that heats water in 90 seconds. It costs
$149 and ships on March 14. The team is proud of it.</p>
<p>The new model is 30% lighter than the Widget 2 and makes 40 cups on one charge. Early buyers in
Portland get free delivery.</p>
<p>Pre-orders are open now on the Acme website. The designers spent two years on the pump alone.</p>
</article>
<footer>Copyright Acme. Privacy policy. Cookie settings.</footer></body></html>"""
LOGIN_WALL = "<html><head><title>Sign in</title></head><body><form><input name=u></form></body></html>"
MB = 1_000_000


class PageSite:
    """The loopback page server's routes; `release` ends the slow handlers at teardown."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.release = asyncio.Event()
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/article", self.article)
        app.router.add_get("/redirect", self.redirect)
        app.router.add_get("/huge", self.huge)
        app.router.add_get("/huge-chunked", self.huge)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/report.pdf", self.pdf)
        app.router.add_get("/login", self.login)
        app.router.add_get("/gone", self.gone)
        return app

    async def article(self, request: web.Request) -> web.Response:
        self.hits["article"] = self.hits.get("article", 0) + 1
        return web.Response(text=ARTICLE, content_type="text/html")

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"].replace("PORT", str(self.port)))

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """20 MB: with a Content-Length (/huge) or chunked without one (/huge-chunked)."""
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        if request.path == "/huge":
            resp.content_length = 20 * MB
        await resp.prepare(request)
        try:
            for _ in range(20):
                await resp.write(b"<p>" + b"x" * (MB - 7) + b"</p>\n")
        except (ConnectionError, RuntimeError):
            pass  # the client left at its limit, as it should
        return resp

    async def slow(self, request: web.Request) -> web.Response:
        await self.release.wait()
        return web.Response(text=ARTICLE, content_type="text/html")

    async def pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf")

    async def login(self, request: web.Request) -> web.Response:
        return web.Response(text=LOGIN_WALL, content_type="text/html")

    async def gone(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="not here")


class MapResolver(AbstractResolver):
    """Test names -> fixed addresses (what an attacker's DNS would answer); nothing leaves loopback."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.names:
            raise OSError(f"unknown test name {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.names[host]
        ]

    async def close(self) -> None:
        return None


NAMES = {
    "news.test": ["127.0.0.1"],  # allowed through allow_networks
    "internal.test": ["10.0.0.5"],
    "mixed.test": ["93.184.216.34", "10.0.0.5"],  # a public answer with a private one mixed in
}


class Site:
    """`async with Site() as site`: the pages on 127.0.0.1 (`site.base`), released at the end."""

    def __init__(self) -> None:
        self.pages = PageSite()
        self.server = TestServer(self.pages.app(), host="127.0.0.1")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.pages.port}"

    async def __aenter__(self) -> Site:
        await self.server.start_server()
        self.pages.port = self.server.port or 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.pages.release.set()
        await self.server.close()


async def site_pages() -> AsyncIterator[tuple[PageSite, str]]:
    """The pages and their base URL, for a fixture."""
    async with Site() as site:
        yield site.pages, site.base


class NoFetchLinks(LinkReader):
    """A LinkReader that never fetches: the page's brief is the person's own text. For the OpenAPI
    fuzzer, whose generated `url`s must reach no network and whose tiny prompt limit leaves no room
    for a real page."""

    def __init__(self) -> None:
        super().__init__(LinksConfig())

    async def prompt(self, url: str, note: str = "", *, max_chars: int = 4000) -> str:
        return note
