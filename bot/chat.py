"""The OpenAI-compatible chat completion as PostPulse does it (adapters/http/routes_openai.py converts).

The client's turns go to the model as they are. `tone`, `platform` and `industry`, when any is given,
put PostPulse's copywriter instructions (the system prompt /generate-text writes with) ahead of the
client's own system messages. The reply is the model's raw text, with no platform post-processing,
the same streamed or whole. A limit is named by the OpenAI field the client sent (`max_tokens`, `n`,
`stop`, `messages`), so an SDK user can match the error to their own call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from bot.brief import DEFAULT_TEMPERATURE, Brief
from bot.catalog import Catalog
from bot.drafts import DraftService
from bot.errors import InvalidOption
from bot.prompts import Message, copywriter_prompt
from engine.config import EngineConfig
from engine.interface import StreamEvent, generate
from engine.types import GenerationRequest, GenerationResult, SamplingParams, effective_temperature

Role = Literal["system", "developer", "user", "assistant"]
SYSTEM_ROLES: tuple[Role, ...] = ("system", "developer")
MAX_STOP = 4  # OpenAI's own bound on stop sequences


@dataclass(frozen=True)
class ChatTurn:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatAsk:
    """One chat completion as a front door hands it over: OpenAI's fields, types already checked.
    `None` means the client left the field out."""

    messages: tuple[ChatTurn, ...]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    tone: str | None = None
    platform: str | None = None
    industry: str | None = None


def _within(value: int, high: int, field: str) -> None:
    if not 1 <= value <= high:
        raise InvalidOption(f"{field} must be between 1 and {high}", field=field)


def _check(ask: ChatAsk, limits: EngineConfig) -> None:
    for field in ("max_tokens", "max_completion_tokens"):  # both checked: either may be sent
        value = getattr(ask, field)
        if value is not None:
            _within(value, limits.max_new_tokens_cap, field)
    _within(ask.n if ask.n is not None else 1, limits.max_variants, "n")
    if len(ask.stop) > MAX_STOP or not all(ask.stop):
        raise InvalidOption(f"stop takes up to {MAX_STOP} non-empty strings", field="stop")
    chars = sum(len(turn.content) for turn in ask.messages)
    if chars > limits.max_prompt_chars:
        raise InvalidOption(
            f"the messages hold {chars:,} characters; the limit is {limits.max_prompt_chars:,}",
            field="messages",
        )


def _voice(ask: ChatAsk, catalog: Catalog) -> str:
    """The copywriter instructions for the named catalogue entries (a brief's defaults for the rest)."""
    tone = catalog.tone(ask.tone) if ask.tone is not None else str(Brief.model_fields["tone"].default)
    platform = (
        catalog.platform(ask.platform)
        if ask.platform is not None
        else str(Brief.model_fields["platform"].default)
    )
    industry = catalog.industry(ask.industry) if ask.industry is not None else None
    return copywriter_prompt(catalog, tone, platform, industry)


def chat_messages(ask: ChatAsk, catalog: Catalog) -> list[Message]:
    """Every system and developer turn joined into one leading system turn (small chat templates take
    only one), PostPulse's instructions first when the client asked for a tone, platform or industry."""
    system = [turn.content for turn in ask.messages if turn.role in SYSTEM_ROLES]
    rest = [
        {"role": turn.role, "content": turn.content} for turn in ask.messages if turn.role not in SYSTEM_ROLES
    ]
    if ask.tone or ask.platform or ask.industry:
        system.insert(0, _voice(ask, catalog))
    return ([{"role": "system", "content": "\n\n".join(system)}] if system else []) + rest


def chat_request(ask: ChatAsk, catalog: Catalog, limits: EngineConfig, request_id: str) -> GenerationRequest:
    """The engine request, or InvalidOption naming the field that breaks a configured limit."""
    _check(ask, limits)
    given = ask.max_completion_tokens if ask.max_completion_tokens is not None else ask.max_tokens
    params = SamplingParams(
        max_new_tokens=given
        if given is not None
        else min(limits.default_max_new_tokens, limits.max_new_tokens_cap),
        temperature=effective_temperature(ask.temperature, DEFAULT_TEMPERATURE),
        top_p=ask.top_p if ask.top_p is not None else 1.0,
        seed=ask.seed,
        stop=ask.stop,
    )
    return GenerationRequest(
        messages=chat_messages(ask, catalog),
        params=params,
        n=ask.n if ask.n is not None else 1,
        timeout_s=limits.request_timeout_s,
        request_id=request_id,
    )


def stream(drafts: DraftService, ask: ChatAsk, request_id: str) -> AsyncIterator[StreamEvent]:
    """Text deltas, then the GenerationResult. The ask is checked here, before the first event, so a
    front door can still answer a bad one with an error status."""
    return drafts.chat(chat_request(ask, drafts.catalog, drafts.limits, request_id))


async def complete(drafts: DraftService, ask: ChatAsk, request_id: str) -> GenerationResult:
    return await generate(drafts.engine, chat_request(ask, drafts.catalog, drafts.limits, request_id))
