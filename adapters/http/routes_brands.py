"""The brand kit over HTTP: `GET /v1/brands/{brand}` and `PUT /v1/brands/{brand}`.

A caller sees and changes only its own brand (the one `brands:` maps its API key to, `default`
otherwise); another brand answers 404 like an unknown one. PUT needs an admin key (403 with a plain
message otherwise; with no keys configured every caller is an admin) and sets the fields it names:
the others keep their value, `required` merges key by key, null clears a field, and `examples`
replaces the brand's example posts. 422 names an invalid field and what is allowed.
"""

from __future__ import annotations

from typing import cast

from aiohttp import web

from adapters.http.errors import ApiError
from adapters.http.responses import BrandKit as BrandKitView
from adapters.http.routes_generate import http_origin
from adapters.http.schemas import BrandKitBody, json_body
from adapters.http.state import SERVICE
from bot.brandkit.kit import BrandKit
from bot.errors import BrandNotFound


def kit_view(kit: BrandKit) -> BrandKitView:
    return cast(BrandKitView, {"brand": kit.brand, **kit.settings()})


def _not_found(brand: str) -> ApiError:
    """The same answer for an unknown brand and for another caller's (bot.brandkit.service)."""
    return ApiError(404, f"no such brand: '{brand}'", "not_found_error", "brand")


async def get_brand(request: web.Request) -> web.Response:
    brand = request.match_info["brand"]
    try:
        kit = await request.app[SERVICE].kits.show(http_origin(request), brand)
    except BrandNotFound as exc:
        raise _not_found(brand) from exc
    return web.json_response(kit_view(kit))


@json_body(BrandKitBody)
async def put_brand(request: web.Request, body: BrandKitBody) -> web.Response:
    brand = request.match_info["brand"]
    changes = body.model_dump(exclude_unset=True)
    if body.required is not None:  # only the required keys it names
        changes["required"] = body.required.model_dump(exclude_unset=True)
    try:
        kit = await request.app[SERVICE].kits.update(http_origin(request), changes, brand, source="http")
    except BrandNotFound as exc:
        raise _not_found(brand) from exc
    return web.json_response(kit_view(kit))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/brands/{brand}", get_brand)
    app.router.add_put("/v1/brands/{brand}", put_brand)
