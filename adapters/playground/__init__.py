"""The playground: a static page the sidecar serves at `/` (plain HTML/CSS/JS, no build step).

The page is only another client of the public API (/v1/catalog, /generate-text over SSE, the draft
routes), so it needs no server code beyond serving its files; aiohttp's static handler does that
(ETags, ranges, no directory listing).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/playground"
# The page's own files are public: they hold no data, and a browser cannot send a key for them.
PUBLIC_PATHS = frozenset({"/", PREFIX})


async def index(request: web.Request) -> web.FileResponse:
    # no-cache: a browser revalidates (cheap, ETag) so an upgraded server never runs a stale page.
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    """`/` is the page; its scripts and styles live under /playground/."""
    app.router.add_get("/", index)
    app.router.add_static(PREFIX, STATIC_DIR, append_version=False, show_index=False)
