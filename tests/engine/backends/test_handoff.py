"""The hand-off engine's rules, with the session's transformers engine as the fast engine and an
`openai` backend over the scripted loopback server (tests/fakes) as the target, started when the test
says so. tests/engine/backends/vllm/test_handoff.py runs the same hand-off on a real vLLM child.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from engine.backends.handoff import HandoffEngine
from engine.backends.openai import OpenAIEngine
from engine.backends.transformers.async_engine import AsyncEngine
from engine.config import EngineConfig, OpenAIConfig
from engine.errors import ModelLoadError
from engine.interface import Engine, generate
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta
from tests.fakes.openai_server import FakeOpenAI, Reply

MESSAGES = ({"role": "user", "content": "Write a post about fresh coffee."},)


def request(tokens: int = 4) -> GenerationRequest:
    return GenerationRequest(messages=MESSAGES, params=SamplingParams(max_new_tokens=tokens, ignore_eos=True))


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


class Target:
    """Starts an `openai` engine over the fake once `go` is set; records what was warmed."""

    def __init__(self, fake: FakeOpenAI, fail: str | None = None) -> None:
        self.fake = fake
        self.fail = fail
        self.go = asyncio.Event()
        self.warmed: list[str] = []

    async def start(self) -> Engine:
        await self.go.wait()
        if self.fail:
            raise ModelLoadError(self.fail)
        config = OpenAIConfig(base_url=self.fake.url, retries=0)
        return await OpenAIEngine(config, EngineConfig(), env={}).start()

    async def warm(self, engine: Engine) -> None:
        self.warmed.append(engine.backend)
        await generate(engine, request(2))


def handoff_over(engine: AsyncEngine, target: Target) -> HandoffEngine:
    warm: Callable[[Engine], Awaitable[None]] = target.warm
    return HandoffEngine(
        engine, target.start, target_backend="openai", warm=warm, poll_s=0.01, owns_fast=False
    )


async def test_serves_on_the_fast_engine_then_hands_new_requests_over(
    engine: AsyncEngine, fake: FakeOpenAI
) -> None:
    target = Target(fake)
    handoff = await handoff_over(engine, target).start()
    try:
        assert target.warmed == ["transformers"]  # the fast engine is warmed before it serves
        facts = handoff.health()
        assert facts["state"] == "ready" and facts["backend"] == "transformers"
        assert facts["handoff"]["error"] is None
        assert facts["handoff"]["phase"] == "warming" and facts["handoff"]["target"] == "openai"
        assert facts["handoff"]["target_state"] == "starting"
        assert (await generate(handoff, request())).backend == "transformers"

        # A request under way when the target takes over finishes where it started.
        in_flight = handoff.stream(request(24))
        first = await anext(in_flight)
        assert isinstance(first, TextDelta)
        target.go.set()
        assert await handoff.wait_for("target", "fallback") == "target"
        rest = [event async for event in in_flight]
        assert isinstance(rest[-1], GenerationResult) and rest[-1].backend == "transformers"

        assert target.warmed == ["transformers", "openai"]  # warmed before it took a request
        served = await generate(handoff, request())
        assert served.backend == "openai" and served.text == "Fresh coffee, every morning."
        assert handoff.health()["backend"] == "openai" and handoff.model_name == "fake-model"
    finally:
        await handoff.shutdown()
    assert not engine.is_dead and handoff.target is not None and handoff.target.is_dead


async def test_a_request_the_target_loses_runs_again_on_the_fast_engine(
    engine: AsyncEngine, fake: FakeOpenAI
) -> None:
    target = Target(fake)
    target.go.set()
    handoff = await handoff_over(engine, target).start()
    try:
        assert await handoff.wait_for("target", "fallback") == "target"
        fake.replies = [Reply(die_after=2)]  # the server goes away after two tokens
        events = [event async for event in handoff.stream(request(6))]
        result = events[-1]
        assert isinstance(result, GenerationResult) and result.backend == "transformers"
        assert result.outputs[0].text.strip()
        # The previews streamed before the loss are not extended with the other engine's text.
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Fresh coffee"
        assert handoff.failovers == 1 and handoff.phase in ("restarting", "target")

        # The target answers again: warmed again, then it takes new requests once more.
        assert await handoff.wait_for("target", "fallback") == "target"
        assert handoff.handoffs == 2 and target.warmed.count("openai") == 2
        assert (await generate(handoff, request())).backend == "openai"
    finally:
        await handoff.shutdown()


async def test_a_target_that_cannot_start_leaves_the_fast_engine_serving(
    engine: AsyncEngine, fake: FakeOpenAI
) -> None:
    target = Target(fake, fail="no vLLM venv here")
    target.go.set()
    handoff = await handoff_over(engine, target).start()
    try:
        assert await handoff.wait_for("target", "fallback") == "fallback"
        facts = handoff.health()
        assert facts["state"] == "ready" and facts["backend"] == "transformers"
        assert facts["handoff"]["error"] == "no vLLM venv here"
        assert facts["handoff"]["target_state"] == "failed"
        assert (await generate(handoff, request())).backend == "transformers"
    finally:
        await handoff.shutdown()
