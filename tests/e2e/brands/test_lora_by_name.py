"""The GPU fleet's path: one OpenAI-compatible server holding every brand's adapter by name.

Each brand's engine comes from the configured backend (`openai` here, as in docker-compose.yml's gpu
profile) and asks the server for the brand's served name, which is what vLLM's `--lora-modules
acme=DIR` answers to. The server is the loopback fake from tests/fakes (a real vLLM with LoRA needs a
GPU to be worth it); it records the `model` of every request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.runtime import build_runtime
from bot.config import load_config
from bot.records import Origin
from bot.service import BotService
from tests.fakes.openai_server import FakeOpenAI, fake_openai

BRANDS = """
brands:
  acme:
    slack_workspaces: [TACME]
  globex:
    served_name: globex-2026
    discord_guilds: ["81234"]
"""


@pytest_asyncio.fixture()
async def fleet(tmp_config_dir: Path, tmp_path: Path) -> AsyncIterator[tuple[BotService, FakeOpenAI]]:
    async with fake_openai(model="base") as server:
        path = tmp_config_dir / "default.yaml"
        path.write_text(path.read_text() + BRANDS)
        env = {
            "POSTPULSE_BACKEND": "openai",
            "POSTPULSE_OPENAI_BASE_URL": server.url,
            "POSTPULSE_OPENAI_MODEL": "postpulse",
            "POSTPULSE_STORE_PATH": str(tmp_path / "drafts.db"),
        }
        # the default engine and one per brand, loaded as `postpulse serve` loads them
        async with build_runtime(load_config(path, env=env), env, front_doors=False) as runtime:
            service = runtime.service
            await service.ready.wait()
            for _ in range(200):  # the brands' engines start in the background too
                if len(service.brands.drafts) == 2 or service.brands.errors:
                    break
                await asyncio.sleep(0.05)
            assert not service.brands.errors and len(service.brands.drafts) == 2
            yield service, server


@pytest.mark.parametrize(
    ("origin", "model", "adapter"),
    [
        (Origin("slack", "U1", "TACME", "C1"), "acme", "acme"),
        (Origin("discord", "7", "81234", "9"), "globex-2026", "globex"),
        (Origin("slack", "U1", "TOTHER", "C1"), "postpulse", None),
    ],
)
async def test_each_brand_asks_the_server_for_its_adapter(
    fleet: tuple[BotService, FakeOpenAI], origin: Origin, model: str, adapter: str | None
) -> None:
    service, server = fleet
    job = await service.assistant.draft(origin, {"prompt": "Fresh coffee every morning", "max_length": 8})
    stored = await job.result()
    assert server.seen[-1].body["model"] == model
    assert stored.adapter == adapter
