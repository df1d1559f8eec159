"""Seeded requests on the managed vLLM child go one candidate at a time (engine/backends/seeded.py),
here in front of the real `openai` backend and a scripted server on loopback (tests/fakes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from engine.backends import seeded
from engine.backends.openai import OpenAIEngine
from engine.config import EngineConfig, OpenAIConfig
from engine.errors import EngineTimeout
from engine.interface import StreamEvent
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta
from tests.fakes.openai_server import FakeOpenAI, Reply

MESSAGES = ({"role": "user", "content": "Coffee."},)


def request(n: int, seed: int | None, timeout_s: float | None = None) -> GenerationRequest:
    params = SamplingParams(max_new_tokens=8, temperature=0.9, seed=seed)
    return GenerationRequest(messages=MESSAGES, params=params, n=n, timeout_s=timeout_s)


@pytest_asyncio.fixture(loop_scope="session")
async def client() -> AsyncIterator[tuple[OpenAIEngine, FakeOpenAI]]:
    fake = await FakeOpenAI().start()
    engine = await OpenAIEngine(OpenAIConfig(base_url=fake.url), EngineConfig()).start()
    yield engine, fake
    await engine.shutdown()
    await fake.stop()


def test_only_seeded_requests_of_several_candidates_are_split() -> None:
    assert seeded.one_at_a_time(request(3, seed=0))
    assert not seeded.one_at_a_time(request(3, seed=None))
    assert not seeded.one_at_a_time(request(1, seed=5))


async def test_candidates_go_one_after_another_seeded_as_vllm_seeds_its_children(
    client: tuple[OpenAIEngine, FakeOpenAI],
) -> None:
    engine, fake = client
    fake.replies = [Reply(tokens=("a", "b")), Reply(tokens=("c",)), Reply(tokens=("d", "e", "f"))]
    whole = request(3, seed=42)
    events = [e async for e in seeded.each_candidate(whole, engine.stream, 30.0)]
    assert [(s.body["n"], s.body["seed"]) for s in fake.seen] == [(1, 42), (1, 43), (1, 44)]
    assert all(s.completed for s in fake.seen)
    deltas = [(e.index, e.text) for e in events if isinstance(e, TextDelta)]
    # One candidate after another; tokens of one read may arrive as one delta (openai_wire coalesces).
    assert [index for index, _ in deltas] == sorted(index for index, _ in deltas)
    joined = {i: "".join(text for index, text in deltas if index == i) for i in range(3)}
    assert joined == {0: "ab", 1: "c", 2: "def"}
    result = events[-1]
    assert isinstance(result, GenerationResult) and result.request_id == whole.request_id
    assert [(o.index, o.text) for o in result.outputs] == [(0, "ab"), (1, "c"), (2, "def")]
    assert result.completion_tokens == 6 and result.prompt_tokens == 7


async def test_a_reader_who_leaves_aborts_the_candidate_and_starts_no_other(
    client: tuple[OpenAIEngine, FakeOpenAI],
) -> None:
    engine, fake = client
    fake.reset()
    fake.default = Reply(delay_s=0.5)
    events = seeded.each_candidate(request(3, seed=1), engine.stream, 30.0)
    assert isinstance(await anext(events), TextDelta)
    await events.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(fake.left.wait(), 5)
    assert len(fake.seen) == 1 and fake.seen[0].client_left


async def test_the_candidates_share_the_requests_one_time_limit(
    client: tuple[OpenAIEngine, FakeOpenAI],
) -> None:
    engine, fake = client
    fake.reset()
    fake.replies = [Reply(), Reply(stall_after=1)]  # the second candidate never finishes
    limits: list[float | None] = []

    def generate(part: GenerationRequest) -> AsyncIterator[StreamEvent]:
        limits.append(part.timeout_s)
        return engine.stream(part)

    with pytest.raises(EngineTimeout):
        [e async for e in seeded.each_candidate(request(3, seed=1, timeout_s=2.0), generate, 30.0)]
    assert len(fake.seen) == 2  # the second used up what was left; no third was started
    first, second = limits
    assert first is not None and second is not None and second < first <= 2.0
