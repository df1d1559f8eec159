"""GET/PUT /v1/brands/{brand} over loopback HTTP, with API keys on: a caller sees and changes only
its own brand (another answers 404), PUT needs an admin key (403 otherwise), a bad body is a 422
naming the field, and the kit a PUT stores is what the next GET (and the next draft) reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig, BrandConfig, BrandKitConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server, serving

ENV = {
    "POSTPULSE_API_KEYS": "plain-key,acme-plain",  # a brand's keys are listed here too (tests/e2e/brands)
    "POSTPULSE_ADMIN_KEYS": "boss-key,acme-boss",
    "ACME_KEYS": "acme-boss,acme-plain",
}


@pytest_asyncio.fixture(loop_scope="session")
async def keyed(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog, tmp_path: Path
) -> AsyncIterator[Server]:
    acme = BrandConfig(api_keys_env="ACME_KEYS", kit=BrandKitConfig(voice="bold", banned=["cheap"]))
    config = app_config.model_copy(
        update={
            "brands": {"acme": acme},
            "store": app_config.store.model_copy(update={"path": str(tmp_path / "brands.db")}),
            "http": app_config.http.model_copy(update={"rate_limit_per_minute": 0}),
        }
    )
    async with serving(config, engine, catalog=catalog, env=ENV) as server:
        yield server


async def call(server: Server, method: str, brand: str, key: str | None, body: Any = None) -> tuple[int, Any]:
    headers = {"X-API-Key": key} if key else {}
    async with (
        aiohttp.ClientSession() as client,
        client.request(method, f"{server.url}/v1/brands/{brand}", json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json()


async def test_a_brand_admin_reads_and_changes_its_own_kit(keyed: Server) -> None:
    status, kit = await call(keyed, "GET", "acme", "acme-plain")
    assert status == 200 and kit["brand"] == "acme" and kit["voice"] == "bold" and kit["banned"] == ["cheap"]
    body = {
        "banned": ["cheap", "guaranteed"],
        "required": {"disclaimer": "Terms apply.", "hashtags": ["ad"]},
        "preferred_hashtags": ["#TravelDeals"],
        "emoji": "some",
        "examples": ["Fly to Porto for less this spring.", "Fly to Porto for less this spring."],
    }
    status, kit = await call(keyed, "PUT", "acme", "acme-boss", body)
    assert status == 200, kit
    assert kit["required"] == {"disclaimer": "Terms apply.", "hashtags": ["#ad"]}
    assert kit["examples"] == ["Fly to Porto for less this spring."] and kit["voice"] == "bold"
    status, again = await call(keyed, "GET", "acme", "acme-plain")
    assert status == 200 and again == kit
    stored = await keyed.service.kits.kit("acme")  # what the next draft of the brand obeys
    assert stored.banned == ("cheap", "guaranteed") and stored.emoji == "some"
    status, cleared = await call(keyed, "PUT", "acme", "acme-boss", {"required": None, "voice": None})
    assert status == 200 and cleared["required"] == {"disclaimer": None, "hashtags": []}
    assert cleared["voice"] is None and cleared["banned"] == ["cheap", "guaranteed"]


async def test_a_key_without_the_admin_role_is_refused(keyed: Server) -> None:
    for key, brand in (("acme-plain", "acme"), ("plain-key", "default")):
        status, body = await call(keyed, "PUT", brand, key, {"banned": ["free"]})
        assert status == 403
        assert body["error"]["message"].startswith("Only a brand admin can change the brand kit")
    assert (await keyed.service.kits.kit("default")).banned == ()


async def test_another_brand_answers_like_an_unknown_one(keyed: Server) -> None:
    for key, brand in (("boss-key", "acme"), ("acme-boss", "default"), ("boss-key", "nosuch")):
        for method in ("GET", "PUT"):
            status, body = await call(
                keyed, method, brand, key, {"emoji": "none"} if method == "PUT" else None
            )
            assert status == 404 and body["error"] == {
                "message": f"no such brand: '{brand}'",
                "type": "not_found_error",
                "param": "brand",
            }
    status, kit = await call(keyed, "GET", "default", "boss-key")  # an admin key no brand claims
    assert status == 200 and kit["brand"] == "default"
    status, _ = await call(keyed, "GET", "default", None)
    assert status == 401


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"colour": "red"}, "colour", "Allowed fields: voice, examples, banned"),
        ({"emoji": "lots"}, "emoji", "'none', 'some' or 'many'"),
        ({"banned": ["!!!"]}, "banned", "no word"),
        ({"banned": "cheap"}, "banned", "valid list"),
        (
            {"required": {"disclaimer": "x" * 100, "hashtags": ["alpha_beta_gamma", "delta"]}},
            "required",
            "fit every",
        ),
        ({"required": {"hashtags": ["two words"]}}, "required.hashtags.0", "pattern"),
        ({"examples": [""]}, "examples.0", "at least 1 character"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field(keyed: Server, body: Any, param: str, words: str) -> None:
    status, answer = await call(keyed, "PUT", "default", "boss-key", body)
    assert status == 422, answer
    assert answer["error"]["param"] == param and words in answer["error"]["message"]
