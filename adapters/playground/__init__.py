"""The playground: a static page the sidecar serves at `/` (plain HTML/CSS/JS, no build step).

The page is only another client of the public API (/v1/catalog, /generate-text over SSE, the draft
routes), so it needs no server code beyond serving its files. aiohttp's FileResponse serves them
(ETags, ranges); the names come from the folder at start-up, so an unknown name is the API's JSON 404
(aiohttp's static resource answers an empty octet-stream 404) and no path can leave the folder.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/playground"
# The page's own files are public: they hold no data, and a browser cannot send a key for them.
PUBLIC_PATHS = frozenset({"/", PREFIX + "/{name}"})
FILES = frozenset(p.name for p in STATIC_DIR.iterdir() if p.is_file())


async def index(request: web.Request) -> web.FileResponse:
    # no-cache: a browser revalidates (cheap, ETag) so an upgraded server never runs a stale page.
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def static_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in FILES:
        raise web.HTTPNotFound(reason=f"no such file: {PREFIX}/{name[:100]}")
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    """`/` is the page; its scripts and styles live under /playground/."""
    app.router.add_get("/", index)
    app.router.add_get(PREFIX + "/{name}", static_file)
