"""Every error status the sidecar promises, provoked over loopback HTTP, as JSON {"error": {...}}."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from bot.service import BotService
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig
from engine.errors import ModelLoadError
from tests.adapters.http.support import Server, idle, serving, tuned, wait_until

pytestmark = pytest.mark.model


async def error_of(resp: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("payload", "param", "words"),
    [
        ({"prompt": "x", "tone": "profesional"}, "tone", ["Did you mean 'professional'", "casual"]),
        ({"prompt": "x", "platform": "myspace"}, "platform", ["instagram", "linkedin"]),
        ({"prompt": "x", "industry": "technolgy"}, "industry", ["technology"]),
        ({"prompt": "x", "max_length": 100_000}, "max_length", ["between 1 and"]),
        ({"prompt": "   "}, "prompt", ["empty"]),
        ({"tone": "casual"}, "prompt", ["Missing"]),
        ({"prompt": "x", "max_length": "12"}, "max_length", ["integer"]),
        ({"prompt": "x", "colour": "red"}, "colour", ["Allowed fields", "prompt"]),
        ({"prompt": "x", "variants": 99}, "variants", ["between 1 and"]),
    ],
)
async def test_422_names_field_and_allowed(
    server: Server, client: aiohttp.ClientSession, payload: dict[str, Any], param: str, words: list[str]
) -> None:
    async with client.post(server.url + "/generate-text", json=payload) as resp:
        error = await error_of(resp, 422)
    assert error["param"] == param and error["type"] == "invalid_request_error"
    for word in words:
        assert word in error["message"]


CHAT = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("payload", "param", "message"),
    [
        ({"messages": CHAT, "max_tokens": 0}, "max_tokens", "max_tokens must be between 1 and 1024"),
        ({"messages": CHAT, "max_tokens": 4, "max_completion_tokens": 5000}, "max_completion_tokens",
         "max_completion_tokens must be between 1 and 1024"),
        ({"messages": CHAT, "max_tokens": 0, "max_completion_tokens": 4}, "max_tokens",
         "max_tokens must be between 1 and 1024"),
        ({"messages": CHAT, "n": 6}, "n", "n must be between 1 and 5"),
        ({"messages": CHAT, "stop": ""}, "stop", "stop takes up to 4 non-empty strings"),
        ({"messages": CHAT, "stop": list("abcde")}, "stop", "stop takes up to 4 non-empty strings"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "x" * 4001}]}]}, "messages",
         "the messages hold 4,001 characters; the limit is 4,000"),
        ({"messages": CHAT, "tone": "profesional"}, "tone",
         "Unknown tone 'profesional'. Did you mean 'professional'?"),
        ({"messages": CHAT, "industry": "technolgy"}, "industry", "Unknown industry 'technolgy'."),
    ],
    ids=["max_tokens", "max_completion_tokens", "both_checked", "n", "empty_stop", "five_stops", "chars",
         "tone", "industry"],
)  # fmt: skip
async def test_chat_422_names_field_and_limit(
    server: Server, client: aiohttp.ClientSession, payload: dict[str, Any], param: str, message: str
) -> None:
    """The OpenAI route's own limits, named by the OpenAI field the client sent."""
    async with client.post(server.url + "/v1/chat/completions", json=payload) as resp:
        error = await error_of(resp, 422)
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert error["message"].startswith(message), error["message"]


async def test_400_bad_json_and_non_object(server: Server, client: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json"}
    async with client.post(server.url + "/generate-text", data=b"{not json", headers=headers) as resp:
        assert (await error_of(resp, 400))["param"] == "body"
    async with client.post(server.url + "/generate-text", json=["prompt"]) as resp:
        await error_of(resp, 400)


async def test_413_body_too_large(
    server: Server, client: aiohttp.ClientSession, http_config: AppConfig
) -> None:
    big = {"prompt": "x" * (http_config.http.max_body_bytes + 10)}
    async with client.post(server.url + "/generate-text", json=big) as resp:
        await error_of(resp, 413)

    async def chunks() -> Any:  # no Content-Length: the server stops reading at the limit
        for _ in range(20):
            yield b"x" * 8192

    headers = {"Content-Type": "application/json"}
    async with client.post(server.url + "/v1/chat/completions", data=chunks(), headers=headers) as resp:
        await error_of(resp, 413)


async def test_415_wrong_content_type(server: Server, client: aiohttp.ClientSession) -> None:
    async with client.post(server.url + "/generate-text", data="prompt=hello") as resp:
        error = await error_of(resp, 415)
    assert "application/json" in error["message"]


async def test_404_and_405_are_json(server: Server, client: aiohttp.ClientSession) -> None:
    async with client.get(server.url + "/no-such-route") as resp:
        assert (await error_of(resp, 404))["type"] == "not_found_error"
    async with client.get(server.url + "/generate-text") as resp:
        await error_of(resp, 405)
        assert resp.headers["Allow"] == "POST"


async def test_429_queue_full(app_config: AppConfig, catalog: Catalog, loaded_model: LoadedModel) -> None:
    """An engine with no queue room answers every request 429 with Retry-After, without generating."""
    engine = AsyncEngine(loaded_model, EngineConfig(max_queue=0))
    try:
        async with (
            serving(app_config, engine, catalog=catalog, env={}) as srv,
            aiohttp.ClientSession() as c,
        ):
            for path, body in (
                ("/generate-text", {"prompt": "hello", "max_length": 4}),
                ("/generate-text", {"prompt": "hello", "max_length": 4, "stream": True}),
                ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}),
            ):
                async with c.post(srv.url + path, json=body) as resp:
                    error = await error_of(resp, 429)
                    assert error["type"] == "overloaded_error"
                    assert int(resp.headers["Retry-After"]) >= 1
    finally:
        await engine.shutdown()


async def test_429_rate_limit_per_key(app_config: AppConfig, catalog: Catalog, engine: AsyncEngine) -> None:
    config = tuned(app_config, http={"rate_limit_per_minute": 2})
    keys = {"POSTPULSE_API_KEYS": "alpha-key,beta-key"}
    async with serving(config, engine, catalog=catalog, env=keys) as srv, aiohttp.ClientSession() as c:
        url = srv.url + "/generate-text"
        alpha = {"Authorization": "Bearer alpha-key"}
        for _ in range(2):  # invalid bodies still spend tokens, and cost no generation
            async with c.post(url, json={"prompt": "x", "tone": "nope"}, headers=alpha) as resp:
                assert resp.status == 422
        async with c.post(url, json={"prompt": "x"}, headers=alpha) as resp:
            error = await error_of(resp, 429)
            assert error["type"] == "rate_limit_error"
            assert 1 <= int(resp.headers["Retry-After"]) <= 60
        async with c.post(
            url, json={"prompt": "x", "tone": "nope"}, headers={"X-API-Key": "beta-key"}
        ) as resp:
            assert resp.status == 422  # another key has its own bucket


async def test_401_api_keys(
    app_config: AppConfig, catalog: Catalog, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-key-do-not-log"
    keys = {"POSTPULSE_API_KEYS": f" other , {secret} "}
    async with serving(app_config, engine, catalog=catalog, env=keys) as srv, aiohttp.ClientSession() as c:
        async with c.get(srv.url + "/v1/catalog") as resp:
            error = await error_of(resp, 401)
            assert error["type"] == "authentication_error" and resp.headers["WWW-Authenticate"] == "Bearer"
        async with c.get(srv.url + "/v1/catalog", headers={"Authorization": "Bearer wrong"}) as resp:
            await error_of(resp, 401)
        async with c.post(srv.url + "/generate-text", json={"prompt": "x"}) as resp:
            await error_of(resp, 401)
        async with c.get(srv.url + "/v1/catalog", headers={"Authorization": f"Bearer {secret}"}) as resp:
            assert resp.status == 200
        async with c.get(srv.url + "/v1/catalog", headers={"X-API-Key": "other"}) as resp:
            assert resp.status == 200
        for public in ("/health", "/ready", "/metrics", "/openapi.json"):
            async with c.get(srv.url + public) as resp:
                assert resp.status == 200, public
        async with c.get(srv.url + "/openapi.json") as resp:
            spec = await resp.json()
        assert "bearer" in spec["components"]["securitySchemes"]
    assert secret not in caplog.text


async def test_auth_off_by_default(server: Server, client: aiohttp.ClientSession) -> None:
    async with client.get(server.url + "/v1/models") as resp:
        assert resp.status == 200
        assert (await resp.json())["data"][0]["id"] == "SmolLM2-135M-Instruct"


async def test_503_while_loading_then_ready(
    app_config: AppConfig, catalog: Catalog, loaded_model: LoadedModel
) -> None:
    """The sidecar listens while the model loads: alive, not ready, 503 + Retry-After on generation."""
    release = asyncio.Event()

    async def slow_loader() -> AsyncEngine:
        await release.wait()
        return AsyncEngine(loaded_model, EngineConfig(max_batch_size=4))

    async with serving(app_config, catalog=catalog, loader=slow_loader) as srv, aiohttp.ClientSession() as c:
        async with c.get(srv.url + "/health") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "loading"
        async with c.get(srv.url + "/ready") as resp:
            assert resp.status == 503 and (await resp.json())["ready"] is False
        async with c.post(srv.url + "/generate-text", json={"prompt": "hello"}) as resp:
            error = await error_of(resp, 503)
            assert error["type"] == "not_ready_error" and int(resp.headers["Retry-After"]) >= 1
        release.set()
        assert await wait_until(lambda: srv.service.status == "ready")
        async with c.get(srv.url + "/ready") as resp:
            assert resp.status == 200 and (await resp.json())["model"] == "SmolLM2-135M-Instruct"
        owned = srv.service.engine
    assert owned is not None and owned.is_dead  # the runtime loaded it, so the runtime's teardown stopped it


async def test_503_when_model_fails_to_load(app_config: AppConfig, catalog: Catalog) -> None:
    async def broken_loader() -> AsyncEngine:
        raise ModelLoadError("no such model directory: /nowhere")

    async with (
        serving(app_config, catalog=catalog, loader=broken_loader) as srv,
        aiohttp.ClientSession() as c,
    ):
        assert await wait_until(lambda: srv.service.status == "failed")
        async with c.get(srv.url + "/health") as resp:
            assert resp.status == 503 and (await resp.json())["status"] == "failed"
        async with c.post(srv.url + "/generate-text", json={"prompt": "hello"}) as resp:
            assert "/nowhere" not in (await error_of(resp, 503))["message"]


async def test_503_when_engine_dead(
    app_config: AppConfig, catalog: Catalog, loaded_model: LoadedModel
) -> None:
    """A second engine on the shared model whose worker we stop: /health turns 503, requests 503."""
    engine = AsyncEngine(loaded_model, EngineConfig(max_batch_size=2))
    await engine.shutdown()
    assert engine.is_dead
    async with (
        serving(app_config, engine, catalog=catalog, env={}) as srv,
        aiohttp.ClientSession() as c,
    ):
        async with c.get(srv.url + "/health") as resp:
            assert resp.status == 503 and (await resp.json())["status"] == "dead"
        async with c.get(srv.url + "/ready") as resp:
            assert resp.status == 503
        async with c.post(srv.url + "/generate-text", json={"prompt": "hello"}) as resp:
            assert (await error_of(resp, 503))["type"] == "engine_dead_error"
        async with c.post(
            srv.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
        ) as resp:
            await error_of(resp, 503)


async def test_504_generation_timeout(app_config: AppConfig, catalog: Catalog, engine: AsyncEngine) -> None:
    config = tuned(app_config, engine={"request_timeout_s": 0.05})
    body = {"prompt": "A long story", "max_length": 64}
    async with (
        serving(config, engine, catalog=catalog, env={}) as srv,
        aiohttp.ClientSession() as c,
        c.post(srv.url + "/generate-text", json=body) as resp,
    ):
        assert (await error_of(resp, 504))["type"] == "timeout_error"
    assert not engine.is_dead
    assert await wait_until(lambda: idle(engine))


async def test_500_is_json_without_internals(
    app_config: AppConfig,
    catalog: Catalog,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: BotService) -> dict[str, Any]:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(BotService, "health", broken)  # a real route meets an unexpected failure
    async with (
        serving(app_config, engine, catalog=catalog, env={}) as srv,
        aiohttp.ClientSession() as c,
        c.get(srv.url + "/health") as resp,
    ):
        error = await error_of(resp, 500)
    assert "hunter2" not in error["message"] and error["type"] == "server_error"
    assert "hunter2" in caplog.text  # ...but the log has it for the operator
