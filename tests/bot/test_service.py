"""Which backend `default_loader` starts, the fallback from vllm to transformers, and what /health shows
for a backend that is up but cannot answer (a remote server that is unreachable)."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest

from bot.catalog import Catalog
from bot.config import AppConfig, load_config
from bot.service import default_loader
from engine.backends.openai import OpenAIEngine
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.vllm import VllmUnavailable
from tests.adapters.http.support import serving, wait_until
from tests.fakes.openai_server import fake_openai

SECRET = "sk-never-shown-9876"


def configured(app_config: AppConfig, **engine: object) -> AppConfig:
    settings = app_config.engine.model_dump()
    for key, value in engine.items():
        if isinstance(value, dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    model = app_config.model.model_copy(update={"adapter": None, "dtype": "float32", "device": "cpu"})
    limits = type(app_config.engine).model_validate(settings)
    return app_config.model_copy(update={"engine": limits, "model": model})


def test_backend_and_remote_server_come_from_the_environment(tmp_config_dir: Path) -> None:
    env = {
        "POSTPULSE_BACKEND": "openai",
        "POSTPULSE_OPENAI_BASE_URL": "http://127.0.0.1:8001/v1",
        "POSTPULSE_OPENAI_MODEL": "brand-model",
        "POSTPULSE_OPENAI_API_KEY": SECRET,
    }
    config = load_config(tmp_config_dir / "default.yaml", env=env)
    assert config.engine.backend == "openai"
    assert config.engine.openai.base_url == "http://127.0.0.1:8001/v1"
    assert config.engine.openai.model == "brand-model"
    assert SECRET not in config.model_dump_json()  # the key stays in the environment


@pytest.mark.model
async def test_vllm_without_its_venv_falls_back_to_transformers_and_says_why(
    app_config: AppConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = configured(app_config, backend="vllm", vllm={"venv": str(tmp_path / "no-venv")})
    with caplog.at_level(logging.WARNING, logger="bot.service"):
        engine = await default_loader(config)()
    try:
        assert isinstance(engine, AsyncEngine) and engine.backend == "transformers"
    finally:
        await engine.shutdown()
    assert "vLLM backend unavailable" in caplog.text and "no vLLM venv" in caplog.text


async def test_vllm_without_fallback_fails_the_start(app_config: AppConfig, tmp_path: Path) -> None:
    config = configured(app_config, backend="vllm", vllm={"venv": str(tmp_path / "none"), "fallback": False})
    with pytest.raises(VllmUnavailable, match=r"setup-vllm\.sh"):
        await default_loader(config)()


async def test_the_openai_backend_serves_the_sidecar(app_config: AppConfig, catalog: Catalog) -> None:
    async with fake_openai("remote-model") as fake:
        config = configured(app_config, backend="openai", openai={"base_url": fake.url})
        async with serving(config, catalog=catalog, env={}) as srv, aiohttp.ClientSession() as client:
            service = srv.service
            assert await wait_until(lambda: service.status == "ready", 10)
            assert service.engine is not None and isinstance(service.engine.serving, OpenAIEngine)
            brief = {"prompt": "A new cafe opens", "platform": "x", "tone": "casual", "max_length": 12}
            async with client.post(srv.url + "/generate-text", json=brief) as resp:
                assert resp.status == 200, await resp.text()
                body = await resp.json()
            async with client.get(srv.url + "/health") as resp:
                health = await resp.json()
    assert body["model"] == "remote-model" and "coffee" in body["generated_text"].lower()
    assert health["backend"] == "openai" and health["state"] == "ready"
    sent = fake.seen[0].body["messages"]
    assert sent[0]["role"] == "system" and "PostPulse" in sent[0]["content"]  # PostPulse's prompt, unchanged


async def test_an_unreachable_remote_server_shows_in_health_and_answers_503(
    app_config: AppConfig, catalog: Catalog
) -> None:
    config = configured(
        app_config,
        backend="openai",
        openai={"base_url": "http://127.0.0.1:9/v1", "model": "m", "retries": 0},
    )
    async with serving(config, catalog=catalog, env={}) as srv, aiohttp.ClientSession() as client:
        assert await wait_until(lambda: srv.service.status != "loading", 10)
        async with client.get(srv.url + "/health") as resp:
            body = await resp.json()
            assert resp.status == 503
        brief = {"prompt": "A new cafe opens", "platform": "x", "tone": "casual", "max_length": 12}
        async with client.post(srv.url + "/generate-text", json=brief) as gen:
            error = await gen.json()
            assert gen.status == 503 and gen.headers.get("Retry-After")
    assert body["status"] == "unreachable" and body["backend"] == "openai"
    assert "cannot reach the model server" in error["error"]["message"]
