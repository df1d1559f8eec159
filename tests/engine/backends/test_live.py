"""The live engine's rules, over `openai` engines talking to the scripted loopback server (tests/fakes),
one model name per adapter version, so the server's log says which version served each request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from engine.backends.live import LiveEngine, bucket
from engine.backends.openai import OpenAIEngine
from engine.config import EngineConfig, OpenAIConfig
from engine.interface import generate
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta
from tests.fakes.openai_server import FakeOpenAI, Reply

MESSAGES = ({"role": "user", "content": "Write a post about fresh coffee."},)


def request(request_id: str = "r", route_key: str | None = None) -> GenerationRequest:
    params = SamplingParams(max_new_tokens=4)
    return GenerationRequest(messages=MESSAGES, params=params, request_id=request_id, route_key=route_key)


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


async def client(fake: FakeOpenAI, model: str) -> OpenAIEngine:
    return await OpenAIEngine(
        OpenAIConfig(base_url=fake.url, retries=0), EngineConfig(), env={}, model=model
    ).start()


async def test_a_swap_moves_new_requests_and_frees_the_old_engine_after_its_last_request(
    fake: FakeOpenAI,
) -> None:
    fake.reset()
    old, new = await client(fake, "acme-v1"), await client(fake, "acme-v2")
    live = LiveEngine(old, 1)
    fake.replies.append(Reply(delay_s=0.05))  # the in-flight request streams slowly
    stream = live.stream(request("slow"))
    first = await anext(stream)
    assert isinstance(first, TextDelta) and live.primary.inflight == 1

    live.serve(new, 2)
    assert live.version == 2 and old.state != "stopped"  # still running its request
    after = await generate(live, request("next"))
    assert after.adapter_version == 2 and fake.seen[-1].body["model"] == "acme-v2"
    rest = [event async for event in stream]
    result = rest[-1]
    assert isinstance(result, GenerationResult) and result.adapter_version == 1  # finished on the old one
    assert fake.seen[0].body["model"] == "acme-v1" and fake.seen[0].completed
    await live.drained()
    assert old.state == "stopped" and new.state != "stopped"
    assert live.model_name == "acme-v1"  # the name drafts report does not change with the version
    await live.shutdown()
    assert new.state == "stopped"


async def test_a_testing_engine_takes_its_share_by_route_key_and_a_borrowed_engine_is_kept(
    fake: FakeOpenAI,
) -> None:
    fake.reset()
    borrowed, testing = await client(fake, "acme"), await client(fake, "acme-v4")
    live = LiveEngine(borrowed, None, owned=False)
    live.test(testing, 4, 0.5)
    ids = [f"draft-{i}" for i in range(40)]
    versions = [(await generate(live, request(i))).adapter_version for i in ids]
    assert versions == [4 if bucket(i) < 0.5 else None for i in ids] and 4 in versions and None in versions
    assert [s.body["model"] for s in fake.seen] == ["acme-v4" if v == 4 else "acme" for v in versions]
    # a follow-up request keyed like its draft goes where the draft went, whatever its own id
    for i, version in zip(ids, versions, strict=True):
        assert (await generate(live, request(f"{i}-more", route_key=i))).adapter_version == version
    live.promote_testing()
    assert (live.version, live.testing, live.share) == (4, None, 0.0)
    await live.drained()
    assert borrowed.state != "stopped"  # not its to stop
    await live.shutdown()
    assert testing.state == "stopped"
    await borrowed.shutdown()
