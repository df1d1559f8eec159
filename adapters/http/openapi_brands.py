"""The /v1/brands routes' part of the OpenAPI document (adapters/http/openapi.py merges it in; the
request body is generated there from BrandKitBody, the response from responses.BrandKit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from adapters.http.schemas import BrandKitBody
from bot.config import BrandName

Schema = dict[str, Any]


def brand_paths(
    op: Callable[..., Schema],
    ok: Callable[..., Schema],
    body: Callable[[type[BaseModel]], Schema],
    error: Callable[[str], Schema],
    unauthorized: dict[str, Schema],
    body_errors: dict[str, Schema],
) -> dict[str, Schema]:
    """`op`, `ok`, `body` and `error` are openapi.py's, so every route reads the same."""
    pattern = BrandName.__metadata__[0].pattern  # type: ignore[attr-defined]
    brand = {
        "name": "brand",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "description": "the caller's brand: the `brands:` entry its API key belongs to, else `default`",
    }
    not_found = {"404": error("No such brand, or not the caller's own.")}
    return {
        "/v1/brands/{brand}": {
            "get": op(
                "The brand kit every draft of the brand obeys: voice, example posts, banned words, "
                "required disclaimer and hashtags, preferred hashtags, emoji policy.",
                {"200": ok("BrandKit", "The brand kit"), **not_found, **unauthorized},
                operationId="getBrandKit",
                parameters=[brand],
            ),
            "put": op(
                "Set brand kit fields (admin keys only; every caller without keys configured). Fields "
                "left out keep their value, null clears one, `examples` replaces the example posts.",
                {
                    "200": ok("BrandKit", "The updated brand kit"),
                    "403": error("The API key has no admin role (roles.admin_keys_env)."),
                    **not_found,
                    **body_errors,
                    **unauthorized,
                },
                operationId="putBrandKit",
                parameters=[brand],
                requestBody=body(BrandKitBody),
            ),
        }
    }
