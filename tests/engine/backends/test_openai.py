"""The `openai` backend against a scripted OpenAI-compatible server on loopback (tests/fakes).

Covers what a real server rarely does on cue: 429/503 retried then given up, dying mid-stream, a slow
or silent server, malformed chunks, and a consumer that leaves (the upstream connection must close).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from engine.backends.openai import OpenAIEngine, start_openai
from engine.config import EngineConfig, OpenAIConfig
from engine.errors import EngineError, EngineOverloaded, EngineTimeout, EngineUnavailable, InvalidRequest
from engine.interface import generate
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta
from tests.fakes.openai_server import FakeOpenAI, Reply

SECRET = "sk-test-do-not-echo-4242"
MESSAGES = ({"role": "system", "content": "You write posts."}, {"role": "user", "content": "Coffee."})


def chat(**params: object) -> GenerationRequest:
    return GenerationRequest(messages=MESSAGES, params=SamplingParams(max_new_tokens=16, **params))  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI) -> None:
    fake.reset()


async def backend(fake: FakeOpenAI, *, limits: EngineConfig | None = None, **options: object) -> OpenAIEngine:
    settings = {"base_url": fake.url, "backoff_s": 0.01, "backoff_max_s": 0.05, **options}
    config = OpenAIConfig.model_validate(settings)
    env = {"POSTPULSE_OPENAI_API_KEY": SECRET}
    return await OpenAIEngine(config, limits or EngineConfig(), env=env).start()


async def test_streams_deltas_then_a_result_and_sends_the_request_unchanged(fake: FakeOpenAI) -> None:
    engine = await backend(fake)
    try:
        request = GenerationRequest(
            messages=MESSAGES,
            params=SamplingParams(
                max_new_tokens=16, temperature=0.7, seed=5, stop=("\n\n",), repetition_penalty=1.1
            ),
            n=2,
        )
        events = [e async for e in engine.stream(request)]
    finally:
        await engine.shutdown()
    deltas = [e for e in events if isinstance(e, TextDelta)]
    result = events[-1]
    assert isinstance(result, GenerationResult)
    assert [o.text for o in result.outputs] == ["Fresh coffee, every morning."] * 2
    assert {d.index for d in deltas} == {0, 1}
    assert result.completion_tokens == 12 and result.prompt_tokens == 7
    body = fake.seen[0].body
    assert body["messages"] == list(MESSAGES) and body["model"] == "fake-model"
    assert body["n"] == 2 and body["seed"] == 5 and body["stop"] == ["\n\n"] and body["max_tokens"] == 16
    assert body["repetition_penalty"] == 1.1 and body["return_token_ids"] is True
    assert fake.seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in str(engine.health())


async def test_openai_dialect_sends_only_official_fields_and_counts_usage(fake: FakeOpenAI) -> None:
    engine = await backend(fake, dialect="openai")
    try:
        result = await generate(engine, chat(repetition_penalty=1.3, top_k=5, seed=3))
    finally:
        await engine.shutdown()
    body = fake.seen[0].body
    assert not {"repetition_penalty", "top_k", "return_token_ids", "cache_salt"} & body.keys()
    assert result.completion_tokens == 6


async def test_a_seeded_request_is_salted_off_the_prefix_cache_and_an_unseeded_one_is_not(
    fake: FakeOpenAI,
) -> None:
    """vLLM reads a salted prompt from no one else's prefix cache: a fresh salt each time makes
    every seeded request a cold prefill (engine/backends/seeded.py says why)."""
    engine = await backend(fake)
    try:
        for request in (chat(seed=7), chat(seed=7), chat()):
            await generate(engine, request)
    finally:
        await engine.shutdown()
    salts = [seen.body.get("cache_salt") for seen in fake.seen]
    assert salts[0] and salts[1] and salts[0] != salts[1]
    assert salts[2] is None


async def test_raw_prompts_use_the_completions_route(fake: FakeOpenAI) -> None:
    engine = await backend(fake)
    try:
        request = GenerationRequest(prompt="Once", params=SamplingParams(max_new_tokens=8))
        result = await generate(engine, request)
    finally:
        await engine.shutdown()
    assert fake.seen[0].path == "/v1/completions" and fake.seen[0].body["prompt"] == "Once"
    assert result.text == "Fresh coffee, every morning."


async def test_429_and_503_are_retried_before_the_first_token(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(status=429, headers={"Retry-After": "0"}), Reply(status=503)]
    engine = await backend(fake, retries=3)
    try:
        result = await generate(engine, chat())
    finally:
        await engine.shutdown()
    assert result.text == "Fresh coffee, every morning."
    assert len(fake.seen) == 3


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (503, EngineUnavailable, "HTTP 503, 3 tries"),
        (429, EngineOverloaded, "overloaded (HTTP 429, 3 tries)"),
    ],
)
async def test_a_server_that_stays_busy_is_given_up_with_a_clear_error(
    fake: FakeOpenAI, status: int, error: type[Exception], words: str
) -> None:
    fake.default = Reply(status=status, headers={"Retry-After": "7"})
    engine = await backend(fake, retries=2)
    try:
        with pytest.raises(error, match=r"retry shortly") as caught:
            await generate(engine, chat())
    finally:
        await engine.shutdown()
    assert words in str(caught.value)
    assert caught.value.retry_after_s == 7  # type: ignore[attr-defined]
    assert len(fake.seen) == 3


async def test_a_refused_request_is_not_retried_and_keeps_the_servers_reason(fake: FakeOpenAI) -> None:
    fake.default = Reply(status=400, error="This model's maximum context length is 2048 tokens.")
    engine = await backend(fake)
    try:
        with pytest.raises(InvalidRequest, match="maximum context length is 2048"):
            await generate(engine, chat())
    finally:
        await engine.shutdown()
    assert len(fake.seen) == 1


async def test_a_rejected_key_names_the_variable_never_the_key(fake: FakeOpenAI) -> None:
    fake.default = Reply(status=401, error=f"bad key {SECRET}")
    engine = await backend(fake)
    try:
        with pytest.raises(EngineError) as caught:
            await generate(engine, chat())
    finally:
        await engine.shutdown()
    assert "$POSTPULSE_OPENAI_API_KEY" in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_a_server_dying_mid_stream_fails_the_request_and_shows_in_health(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(die_after=2)]
    engine = await backend(fake)
    try:
        got: list[str] = []
        with pytest.raises(EngineUnavailable, match="went away mid-request"):
            async for event in engine.stream(chat()):
                if isinstance(event, TextDelta):
                    got.append(event.text)
        # what arrived was streamed (tokens that arrive in one read come as one delta); nothing was
        # retried after it
        assert "".join(got) == "Fresh coffee"
        assert len(fake.seen) == 1
        assert engine.health()["state"] == "unreachable" and not engine.health()["alive"]
        assert "went away" in engine.health()["error"]
        result = await generate(engine, chat())  # the server answers again: so does the backend
        assert result.text and engine.health()["state"] == "ready"
    finally:
        await engine.shutdown()


async def test_a_silent_server_hits_the_read_timeout(fake: FakeOpenAI) -> None:
    fake.default = Reply(stall_after=2)
    engine = await backend(fake, read_timeout_s=0.3)
    try:
        with pytest.raises(EngineTimeout, match="sent nothing for"):
            await generate(engine, chat())
    finally:
        await engine.shutdown()


async def test_a_slow_server_hits_the_request_deadline(fake: FakeOpenAI) -> None:
    fake.default = Reply(delay_s=0.2)
    engine = await backend(fake)
    request = GenerationRequest(messages=MESSAGES, params=SamplingParams(max_new_tokens=16), timeout_s=0.5)
    try:
        with pytest.raises(EngineTimeout, match="time limit"):
            await generate(engine, request)
        await asyncio.wait_for(fake.left.wait(), 5)  # the upstream request was dropped, not left running
    finally:
        await engine.shutdown()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"data: {not json\n\n", "not JSON"),
        (b'data: ["a list"]\n\n', "not a JSON object"),
        (b'data: {"choices": [{"index": 5, "delta": {"content": "x"}}]}\n\n', "outside the 1 requested"),
        (b'data: {"choices": [{"index": 0, "delta": {"content": 3}}]}\n\n', "not a string"),
        (b'data: {"error": {"message": "engine core died"}}\n\n', "engine core died"),
    ],
)
async def test_malformed_chunks_fail_with_a_clear_error(fake: FakeOpenAI, raw: bytes, words: str) -> None:
    fake.default = Reply(raw_after={1: raw})
    engine = await backend(fake)
    try:
        with pytest.raises(EngineUnavailable, match=words):
            await generate(engine, chat())
    finally:
        await engine.shutdown()


async def test_a_stream_without_its_end_marker_is_an_error(fake: FakeOpenAI) -> None:
    fake.default = Reply(die_after=6)  # every token sent, then the connection drops before [DONE]
    engine = await backend(fake)
    try:
        with pytest.raises(EngineUnavailable):
            await generate(engine, chat())
    finally:
        await engine.shutdown()


async def test_leaving_the_stream_closes_the_upstream_request(fake: FakeOpenAI) -> None:
    fake.default = Reply(delay_s=0.5)
    engine = await backend(fake)
    try:
        stream = engine.stream(chat())
        first = await anext(stream)
        assert isinstance(first, TextDelta)
        await stream.aclose()  # type: ignore[attr-defined]
        await asyncio.wait_for(fake.left.wait(), 5)
        assert fake.seen[0].client_left and not fake.seen[0].completed
        assert engine.health()["running"] == 0
    finally:
        await engine.shutdown()


async def test_requests_in_flight_are_bounded_and_the_queue_overflows_cleanly(fake: FakeOpenAI) -> None:
    fake.default = Reply(stall_after=1)
    engine = await backend(fake, max_in_flight=1, limits=EngineConfig(max_queue=0))
    try:
        holder = engine.stream(chat())
        await anext(holder)
        assert engine.health()["running"] == 1
        with pytest.raises(EngineOverloaded, match="queue is full"):
            await generate(engine, chat())
        await holder.aclose()  # type: ignore[attr-defined]
    finally:
        await engine.shutdown()


async def test_an_unreachable_server_is_reported_and_requests_fail_clearly() -> None:
    config = OpenAIConfig(base_url="http://127.0.0.1:9/v1", model="m", retries=1, backoff_s=0.01)
    engine = await OpenAIEngine(config, EngineConfig(), env={}).start()
    try:
        assert engine.health()["state"] == "unreachable"
        with pytest.raises(EngineUnavailable, match="cannot reach the model server"):
            await generate(engine, chat())
    finally:
        await engine.shutdown()
    assert engine.is_dead


async def test_without_a_model_name_an_unreachable_server_fails_the_start() -> None:
    config = OpenAIConfig(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(EngineUnavailable, match=r"cannot reach the model server at http://127\.0\.0\.1:9/v1"):
        await start_openai(config, EngineConfig(), env={})
