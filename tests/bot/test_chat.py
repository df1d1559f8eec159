"""The OpenAI-compatible chat use case: prompt, sampling and limits, before any engine is involved."""

from __future__ import annotations

import pytest

from bot.brief import make_brief
from bot.catalog import Catalog
from bot.chat import ChatAsk, ChatTurn, chat_request
from bot.errors import InvalidOption
from bot.prompts import system_prompt
from engine.config import EngineConfig

LIMITS = EngineConfig(default_max_new_tokens=150, max_new_tokens_cap=100, max_variants=3, max_prompt_chars=50)
HI = (ChatTurn("user", "hi"),)


def test_turns_pass_through_with_system_turns_joined_first(catalog: Catalog) -> None:
    ask = ChatAsk(
        messages=(
            ChatTurn("user", "one"),
            ChatTurn("system", "be brief"),
            ChatTurn("assistant", "two"),
            ChatTurn("developer", "no emoji"),
        )
    )
    request = chat_request(ask, catalog, LIMITS, "rid-1")
    assert request.messages == [
        {"role": "system", "content": "be brief\n\nno emoji"},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
    ]
    assert request.request_id == "rid-1" and request.timeout_s == LIMITS.request_timeout_s


def test_no_system_turn_without_system_messages_or_voice(catalog: Catalog) -> None:
    assert chat_request(ChatAsk(messages=HI), catalog, LIMITS, "r").messages == [
        {"role": "user", "content": "hi"}
    ]


def test_voice_is_the_generate_text_system_prompt(catalog: Catalog) -> None:
    """Aliases resolve, unnamed fields take a brief's defaults, and the client's system turn follows."""
    ask = ChatAsk(messages=(ChatTurn("system", "mine"), *HI), platform="tweet", industry="retail")
    first = chat_request(ask, catalog, LIMITS, "r").messages
    assert first is not None
    brief = make_brief({"prompt": "any", "platform": "tweet", "industry": "retail"}, catalog, EngineConfig())
    assert first[0] == {"role": "system", "content": system_prompt(brief, catalog) + "\n\nmine"}


def test_sampling_defaults_and_precedence(catalog: Catalog) -> None:
    default = chat_request(ChatAsk(messages=HI), catalog, LIMITS, "r")
    assert default.n == 1 and default.params.stop == () and default.params.seed is None
    assert default.params.max_new_tokens == 100  # the default, held to the cap
    assert default.params.temperature == 0.7 and default.params.top_p == 1.0
    asked = ChatAsk(
        messages=HI,
        max_tokens=5,
        max_completion_tokens=7,
        n=3,
        temperature=0.001,
        top_p=0.5,
        seed=9,
        stop=("\n",),
    )
    request = chat_request(asked, catalog, LIMITS, "r")
    assert request.params.max_new_tokens == 7  # max_completion_tokens wins, as in OpenAI's API
    assert request.params.temperature == 0.0  # a tiny temperature is greedy
    assert (request.n, request.params.top_p, request.params.seed, request.params.stop) == (3, 0.5, 9, ("\n",))


@pytest.mark.parametrize(
    ("ask", "field"),
    [
        (ChatAsk(messages=HI, max_tokens=101), "max_tokens"),
        (ChatAsk(messages=HI, max_tokens=0, max_completion_tokens=5), "max_tokens"),
        (ChatAsk(messages=HI, max_completion_tokens=0), "max_completion_tokens"),
        (ChatAsk(messages=HI, n=4), "n"),
        (ChatAsk(messages=HI, n=0), "n"),
        (ChatAsk(messages=HI, stop=("a", "")), "stop"),
        (ChatAsk(messages=HI, stop=tuple("abcde")), "stop"),
        (ChatAsk(messages=(ChatTurn("user", "x" * 30), ChatTurn("system", "y" * 21))), "messages"),
        (ChatAsk(messages=HI, tone="sarcastic-ish"), "tone"),
        (ChatAsk(messages=HI, platform="myspace"), "platform"),
        (ChatAsk(messages=HI, tone="witty", industry="technolgy"), "industry"),
        (ChatAsk(messages=HI, n=4, tone="sarcastic-ish"), "n"),  # limits before catalogue names
    ],
)
def test_invalid_asks_name_the_openai_field(catalog: Catalog, ask: ChatAsk, field: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        chat_request(ask, catalog, LIMITS, "r")
    assert caught.value.field == field and str(caught.value)
