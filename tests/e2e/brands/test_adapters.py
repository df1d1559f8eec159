"""Two workspaces, two adapters: each brand's drafts are written by its own adapter, and say so.

Real engines (the embedded base with each brand's LoRA merged), the real Assistant and a real SQLite
store; Slack and Discord origins as their front doors build them, and the HTTP API over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest_asyncio

from adapters.runtime import Runtime, build_runtime
from bot.assistant import DraftJob, StoredDraft
from bot.brands import api_key_id
from bot.config import AppConfig, load_config
from bot.records import Origin
from bot.service import BotService
from engine.backends.transformers.async_engine import AsyncEngine

BRIEF = {"prompt": "Our spring sale starts Friday", "platform": "x", "max_length": 12, "temperature": 0}
KEYS = {"ACME_API_KEYS": "acme-key-1", "POSTPULSE_API_KEYS": "acme-key-1,plain-key"}


def brands_yaml(adapters: dict[str, Path]) -> str:
    return f"""
brands:
  acme:
    adapter: {adapters["acme"]}
    slack_workspaces: [TACME]
    api_keys_env: ACME_API_KEYS
  globex:
    adapter: {adapters["globex"]}
    slack_workspaces: [TGLOBEX]
    discord_guilds: ["81234567890"]
"""


@pytest_asyncio.fixture()
async def runtime(
    tmp_config_dir: Path,
    tmp_path: Path,
    brand_adapters: dict[str, Path],
    brand_engines: dict[str, AsyncEngine],
    engine: AsyncEngine,
) -> AsyncIterator[Runtime]:
    """`postpulse serve`'s runtime, with the session's engines borrowed: the default one (the bare
    base model) and each brand's. KEYS is its environment (BrandRouter reads a brand's keys there)."""
    path = tmp_config_dir / "default.yaml"
    path.write_text(path.read_text() + brands_yaml(brand_adapters))
    config: AppConfig = load_config(path, env={"POSTPULSE_STORE_PATH": str(tmp_path / "drafts.db")})
    async with build_runtime(config, KEYS, host="127.0.0.1", port=0, engine=engine) as running:
        for name, brand_engine in brand_engines.items():
            running.service.brands.attach(name, brand_engine)
        yield running


@pytest_asyncio.fixture()
async def service(runtime: Runtime) -> BotService:
    return runtime.service


async def write(service: BotService, origin: Origin) -> StoredDraft:
    job = await service.assistant.draft(origin, dict(BRIEF))
    assert isinstance(job, DraftJob)
    return await job.result()


async def test_each_workspace_gets_its_brand_adapter(service: BotService) -> None:
    acme = await write(service, Origin("slack", "U1", "TACME", "C1"))
    globex = await write(service, Origin("slack", "U2", "TGLOBEX", "C9"))
    guild = await write(service, Origin("discord", "1001", "81234567890", "555"))
    other = await write(service, Origin("slack", "U3", "TOTHER", "C1"))
    assert (acme.adapter, globex.adapter, guild.adapter, other.adapter) == ("acme", "globex", "globex", None)
    # Recorded durably: the rows say the same when read back.
    assert service.store is not None
    for stored in (acme, globex, guild, other):
        assert (await service.store.drafts.get(stored.id, stored.tenant)).adapter == stored.adapter
    # Written by that adapter: greedy decoding of one brief, so only the weights differ.
    assert acme.variants[0].text != globex.variants[0].text
    assert globex.variants[0].text == guild.variants[0].text
    assert other.variants[0].text not in (acme.variants[0].text, globex.variants[0].text)


async def test_a_remix_stays_with_the_brand(service: BotService) -> None:
    parent = await write(service, Origin("slack", "U1", "TACME", "C1"))
    job = await service.assistant.remix(Origin("slack", "U1", "TACME", "C1"), parent.id, "shorter")
    child = await job.result()
    assert child.parent_id == parent.id and child.adapter == "acme"


async def test_an_api_key_maps_to_its_brand_over_http(runtime: Runtime) -> None:
    service = runtime.service
    url = f"{runtime.url}/generate-text"
    async with aiohttp.ClientSession() as client:
        body = {**BRIEF, "tone": "casual", "industry": "retail"}
        branded = await client.post(url, json=body, headers={"X-API-Key": "acme-key-1"})
        plain = await client.post(url, json=body, headers={"X-API-Key": "plain-key"})
        assert branded.status == 200 and plain.status == 200, await branded.text()
        assert service.store is not None
        acme = await service.store.drafts.get((await branded.json())["draft_id"], "brand:acme")
        assert acme.adapter == "acme"
        plain_key = api_key_id("plain-key")  # an unmapped key is its own tenant
        assert (await service.store.drafts.get((await plain.json())["draft_id"], plain_key)).adapter is None
