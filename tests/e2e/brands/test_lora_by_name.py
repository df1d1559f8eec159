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

from adapters.runtime import Runtime, build_runtime
from bot.config import load_config
from bot.records import Origin
from bot.store.adapter_versions import AdapterVersions
from engine.backends.openai import OpenAIEngine
from tests.fakes.openai_server import FakeOpenAI, fake_openai

BRANDS = """
learn:
  ab_share: 0.5
brands:
  acme:
    slack_workspaces: [TACME]
  globex:
    served_name: globex-2026
    discord_guilds: ["81234"]
"""


@pytest_asyncio.fixture()
async def fleet(tmp_config_dir: Path, tmp_path: Path) -> AsyncIterator[tuple[Runtime, FakeOpenAI]]:
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
            yield runtime, server


@pytest.mark.parametrize(
    ("origin", "model", "adapter"),
    [
        (Origin("slack", "U1", "TACME", "C1"), "acme", "acme"),
        (Origin("discord", "7", "81234", "9"), "globex-2026", "globex"),
        (Origin("slack", "U1", "TOTHER", "C1"), "postpulse", None),
    ],
)
async def test_each_brand_asks_the_server_for_its_adapter(
    fleet: tuple[Runtime, FakeOpenAI], origin: Origin, model: str, adapter: str | None
) -> None:
    runtime, server = fleet
    service = runtime.service
    job = await service.assistant.draft(origin, {"prompt": "Fresh coffee every morning", "max_length": 8})
    stored = await job.result()
    assert server.seen[-1].body["model"] == model
    assert stored.adapter == adapter


async def test_a_promotion_loads_the_adapter_by_name_and_an_ab_share_goes_to_the_testing_one(
    fleet: tuple[Runtime, FakeOpenAI], tmp_path: Path
) -> None:
    """vLLM's runtime LoRA loading (`POST /v1/load_lora_adapter`): the promoted version is loaded on
    the server by name and asked for; with `learn.ab_share` 0.5 and a testing version, drafts split
    between the two names by their request id, and each stored draft records its version."""
    runtime, server = fleet
    service, acme = runtime.service, Origin("slack", "U1", "TACME", "C1")
    assert service.store is not None
    adapters: AdapterVersions = service.store.adapters
    v1 = await adapters.add("acme", lambda n: tmp_path / "acme" / f"v{n}", parent_version=None)
    await adapters.decide("acme", v1.version, "promoted", "gate passed")
    await runtime.watcher.check()
    assert server.loras == {"acme-v1": str(tmp_path / "acme" / "v1")}
    job = await service.assistant.draft(acme, {"prompt": "Fresh coffee every morning", "max_length": 8})
    stored = await job.result()
    assert server.seen[-1].body["model"] == "acme-v1" and stored.adapter_version == 1
    assert service.health()["adapters"]["acme"] == {"serving": "acme/v1", "testing": None}

    v2 = await adapters.add("acme", lambda n: tmp_path / "acme" / f"v{n}", parent_version=1)
    await adapters.decide("acme", v2.version, "testing", "gate passed")
    await runtime.watcher.check()
    assert set(server.loras) == {"acme-v1", "acme-v2"}
    assert service.health()["adapters"]["acme"] == {"serving": "acme/v1", "testing": "acme/v2"}
    seen: dict[str, set[int | None]] = {}
    for i in range(16):
        user = Origin("slack", f"U{i}", "TACME", "C1")  # one draft each: the per-user rate limit
        job = await service.assistant.draft(user, {"prompt": f"Fresh coffee, day {i}", "max_length": 8})
        stored = await job.result()
        assert service.store is not None
        again = await service.store.drafts.get(stored.id, stored.tenant)
        seen.setdefault(server.seen[-1].body["model"], set()).add(again.adapter_version)
        assert stored.model == "acme"  # what a user sees does not say which version wrote it
    assert seen == {"acme-v1": {1}, "acme-v2": {2}}

    # The testing version promoted: it takes every draft, and nothing is loaded again.
    await adapters.decide("acme", v2.version, "promoted", "won its A/B test")
    await runtime.watcher.check()
    assert service.health()["adapters"]["acme"] == {"serving": "acme/v2", "testing": None}
    job = await service.assistant.draft(
        Origin("slack", "U9", "TACME", "C1"), {"prompt": "Hi", "max_length": 8}
    )
    assert (await job.result()).adapter_version == 2 and server.seen[-1].body["model"] == "acme-v2"
    # Another replica loading the same name: the server answers "already loaded", which counts as done.
    other = OpenAIEngine(service.config.engine.openai, service.config.engine, model="acme-v2")
    await other.start_session()
    try:
        await other.load_lora_adapter("acme-v2", str(tmp_path / "acme" / "v2"))
    finally:
        await other.shutdown()
    assert set(server.loras) == {"acme-v1", "acme-v2"}
