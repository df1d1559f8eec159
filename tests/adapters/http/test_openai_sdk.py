"""The official `openai` package, pointed at the sidecar, gets a completion and a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
import pytest_asyncio

from tests.adapters.http.support import Server

pytestmark = pytest.mark.model

MESSAGES = [{"role": "user", "content": "Write a one-line slogan for a bike shop."}]


@pytest_asyncio.fixture(loop_scope="session")
async def sdk(server: Server) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=120)
    yield client
    await client.close()


async def test_models_list(sdk: openai.AsyncOpenAI) -> None:
    models = await sdk.models.list()
    assert [m.id for m in models.data] == ["SmolLM2-135M-Instruct"]


async def test_completion(sdk: openai.AsyncOpenAI) -> None:
    completion = await sdk.chat.completions.create(
        model="postpulse",
        messages=MESSAGES,
        max_tokens=8,
        temperature=0,  # type: ignore[arg-type]
    )
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 8
    assert completion.model == "SmolLM2-135M-Instruct"


async def test_stream_with_postpulse_extras(sdk: openai.AsyncOpenAI) -> None:
    """tone/platform/industry ride in extra_body and switch on PostPulse's system prompt."""
    stream = await sdk.chat.completions.create(
        model="postpulse",
        messages=MESSAGES,  # type: ignore[arg-type]
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"tone": "witty", "platform": "x", "industry": "retail"},
    )
    text, finish, usage = "", None, None
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text.strip() and finish in ("stop", "length")
    assert usage is not None and usage.prompt_tokens > 100  # the PostPulse system prompt is in there


async def test_invalid_extra_is_a_typed_sdk_error(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        await sdk.chat.completions.create(
            model="postpulse",
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=4,
            extra_body={"tone": "sarcastic-ish"},
        )
    assert caught.value.status_code == 422
    assert "tone" in str(caught.value)
