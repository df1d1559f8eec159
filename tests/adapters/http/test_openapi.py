"""/openapi.json is accurate: every route documented, and schemathesis finds no 5xx and no response
(or acceptance/rejection) that contradicts it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from adapters.http.schemas import request_model
from adapters.playground import PUBLIC_PATHS as PLAYGROUND_PATHS
from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server, serving, tuned
from tests.fakes.pages import NoFetchLinks

pytestmark = pytest.mark.model

# The chat route limits the *total* characters of all messages (and the model's context); JSON
# Schema cannot say that, so "schema-valid input must be accepted" is not checked there. (Every
# other check is on by default; passing --checks on the command line would override this file.)
# The same for the draft routes: a variant index is valid up to the stored draft's own count, and a
# remix's `value` is required for tone/platform only — facts of the stored draft and the action.
# A body past http.max_body_bytes is rejected with 413, which schemathesis does not count as a rejection
# unless told.
SCHEMATHESIS_TOML = """
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]

[[operations]]
include-path = "/v1/chat/completions"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path-regex = "^/v1/drafts/"
checks.positive_data_acceptance.enabled = false
"""


# Tiny limits, so each of the hundreds of generated requests costs at most two tokens.
FUZZ_ENGINE_LIMITS = {
    "max_new_tokens_cap": 2, "default_max_new_tokens": 2, "max_variants": 2, "max_prompt_chars": 200
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fuzz_server(app_config: AppConfig, engine: AsyncEngine, catalog: Catalog) -> AsyncIterator[Server]:
    """Tiny limits, so each of the hundreds of generated requests costs at most two tokens."""
    config = tuned(
        app_config,
        engine=FUZZ_ENGINE_LIMITS,
        http={"rate_limit_per_minute": 0},
    )
    async with serving(config, engine, catalog=catalog, env={}, links=NoFetchLinks()) as srv:
        yield srv


async def test_every_route_is_documented(fuzz_server: Server) -> None:
    async with aiohttp.ClientSession() as c, c.get(fuzz_server.url + "/openapi.json") as resp:
        spec = await resp.json()
    routes = {
        (r.resource.canonical, r.method.lower())
        for r in fuzz_server.app.router.routes()
        if r.resource is not None and r.method != "HEAD" and r.resource.canonical not in PLAYGROUND_PATHS
    }  # the playground page is a client of the API, not part of it
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == documented
    body = spec["components"]["schemas"]["GenerateTextRequest"]["properties"]
    assert body["max_length"]["anyOf"][0]["maximum"] == 2  # limits come from the live config
    assert "professional" in body["tone"]["anyOf"][0]["enum"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [r for k, v in node.items() for r in ([v] if k == "$ref" else _refs(v))]
    return [r for item in node for r in _refs(item)] if isinstance(node, list) else []


async def test_every_route_body_model_is_in_the_document(fuzz_server: Server) -> None:
    """Walk the router: each POST/PUT route reads its body with a declared model (schemas.json_body),
    and its operation references that model's generated component, whose nested $refs resolve."""
    async with aiohttp.ClientSession() as c, c.get(fuzz_server.url + "/openapi.json") as resp:
        spec = await resp.json()
    components = spec["components"]["schemas"]
    with_body = set()
    for route in fuzz_server.app.router.routes():
        if route.method not in ("POST", "PUT") or route.resource is None:
            continue
        path, method = route.resource.canonical, route.method.lower()
        model = request_model(route.handler)
        assert model is not None, f"{method} {path} reads no declared body model"
        body = spec["paths"][path][method]["requestBody"]
        assert body["required"] is True
        name = body["content"]["application/json"]["schema"]["$ref"].removeprefix("#/components/schemas/")
        generated = model.model_json_schema()
        assert components[name]["title"] == generated["title"]
        assert list(components[name]["properties"]) == list(model.model_fields)
        assert components[name].get("required") == generated.get("required")
        with_body.add(path)
    assert with_body == {path for path, item in spec["paths"].items() if "post" in item or "put" in item}
    assert {"/generate-text", "/v1/chat/completions", "/v1/drafts/{draft_id}/remix"} <= with_body
    for ref in _refs(spec):
        assert ref.removeprefix("#/components/schemas/") in components, ref
    message = components["ChatMessage"]["properties"]
    assert message["role"]["enum"] == ["system", "developer", "user", "assistant"]
    assert message["content"]["anyOf"][0]["maxLength"] == 200  # the live max_prompt_chars


async def schemathesis(url: str, tmp_path: Path, *args: str) -> None:
    """Run the schemathesis CLI against `url`'s spec; fails with its report on any failure."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_TOML)
    cli = Path(sys.executable).parent / "schemathesis"
    proc = await asyncio.create_subprocess_exec(
        str(cli), "--config-file", str(config), "run", url + "/openapi.json", *args,
        "--max-response-time", "120", "--request-timeout", "120",  # a loaded 2-core CI box is slow
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "5", "--max-time", "60", "--seed", "7", "--workers", "1",
        "--report-dir", str(tmp_path), "--generation-database", "none",  # nothing left in the repo
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=300)
    text = out.decode(errors="replace")
    start = text.find("FAILURES") if "FAILURES" in text else text.find("ERRORS")
    assert proc.returncode == 0, text[max(start, 0) :][:8000]
    assert "Server error" not in text


async def test_schemathesis_finds_nothing(fuzz_server: Server, tmp_path: Path) -> None:
    await schemathesis(fuzz_server.url, tmp_path)


FUZZ_KEY = "sk-fuzz-0123456789"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def keyed_fuzz_server(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> AsyncIterator[Server]:
    """The same tiny limits with API keys on: the spec then declares security, and schemathesis also
    tries every route without the key or with a wrong one. The auth-failure throttle is off here (it
    would answer the rest of the run with 429s); tests/security tests it."""
    config = tuned(
        app_config,
        engine=FUZZ_ENGINE_LIMITS,
        http={"rate_limit_per_minute": 0, "auth_failures_per_window": 0},
    )
    env = {"POSTPULSE_API_KEYS": f"{FUZZ_KEY},sk-other-key"}
    async with serving(config, engine, catalog=catalog, env=env, links=NoFetchLinks()) as srv:
        yield srv


async def test_schemathesis_with_keys_finds_nothing(keyed_fuzz_server: Server, tmp_path: Path) -> None:
    await schemathesis(keyed_fuzz_server.url, tmp_path, "--header", f"X-API-Key: {FUZZ_KEY}")
