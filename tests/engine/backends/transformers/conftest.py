"""Fixtures for the AsyncEngine tests: distinct prompts, solo references, throwaway small engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig
from engine.types import GenerationRequest, SamplingParams

# Twenty subjects far apart, so greedy answers clearly differ from one another.
TOPICS: tuple[str, ...] = (
    "a bakery's new sourdough loaf",
    "a cloud backup service for small businesses",
    "a yoga retreat in Bali",
    "an electric cargo bike",
    "a vegan cookbook",
    "a cybersecurity webinar",
    "a Swiss luxury watch",
    "a coding summer camp for kids",
    "a used-car dealership in Texas",
    "an organic coffee subscription",
    "a dental clinic opening downtown",
    "a marathon for charity",
    "a budget airline's new route to Lisbon",
    "a handmade leather wallet",
    "a real estate open house",
    "a mobile banking app",
    "a pet grooming salon",
    "a jazz festival by the lake",
    "a solar panel installer",
    "an online Spanish course",
)
SOLO_TOKENS = 20


def chat(topic: str) -> list[dict[str, str]]:
    """Plain chat messages asking for one tagline about `topic`."""
    return [
        {"role": "system", "content": "You are a concise marketing copywriter."},
        {"role": "user", "content": f"Write a short tagline for {topic}."},
    ]


def greedy(topic: str, max_new_tokens: int = SOLO_TOKENS, **extra: Any) -> GenerationRequest:
    """A greedy request about `topic`; EOS ignored so every stream runs its full length."""
    params = SamplingParams(max_new_tokens=max_new_tokens, temperature=0.0, ignore_eos=True, **extra)
    return GenerationRequest(messages=chat(topic), params=params)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` from the event loop; fail with `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def solo_tokens(engine: AsyncEngine) -> dict[str, list[int]]:
    """Each topic's first SOLO_TOKENS greedy tokens, generated alone (batch of one, no padding)."""
    refs: dict[str, list[int]] = {}
    for topic in TOPICS:
        result = await engine.generate(greedy(topic))
        assert engine.counters.running <= 1
        refs[topic] = result.outputs[0].token_ids
    return refs


EngineFactory = Callable[..., Awaitable[AsyncEngine]]


@pytest_asyncio.fixture(loop_scope="session")
async def make_engine(loaded_model: LoadedModel) -> AsyncIterator[EngineFactory]:
    """Builds extra AsyncEngines over the shared model; every one is shut down after the test."""
    made: list[AsyncEngine] = []

    async def factory(**config: Any) -> AsyncEngine:
        eng = AsyncEngine(loaded_model, EngineConfig(**config))
        made.append(eng)
        return eng

    yield factory
    for eng in made:
        await eng.shutdown()
        assert not eng.scheduler.thread.is_alive()
