"""Request and result shapes shared by the engine's scheduler, facade and backends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

# Below this, logits / temperature overflow to NaN: such a temperature means greedy (0).
MIN_TEMPERATURE = 0.01


def effective_temperature(value: float | None, default: float) -> float:
    """The temperature a request asks for (`default` when it names none), with tiny values as greedy."""
    t = default if value is None else value
    return 0.0 if t < MIN_TEMPERATURE else t


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 150
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False
    # Text the model must never write, blocked while sampling (vLLM's `bad_words` semantics: each
    # phrase's token sequence, with and without a leading space, can never be completed). Exact
    # strings: a caller that wants "Cheap" banned as well as "cheap" passes both.
    banned_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerationRequest:
    """Either chat `messages` (rendered with the model's chat template) or a raw `prompt`."""

    messages: tuple[dict[str, str], ...] | list[dict[str, str]] | None = None
    prompt: str | None = None
    params: SamplingParams = SamplingParams()
    n: int = 1  # variants: parallel sequences in the same batch
    timeout_s: float | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Requests sharing a key are routed alike where an engine splits traffic (backends.live: an A/B
    # share), so a follow-up request (best-of-n's extra candidates) meets the same weights; None: the id.
    route_key: str | None = None


@dataclass(frozen=True)
class TextDelta:
    index: int
    text: str


@dataclass
class SequenceOutput:
    index: int
    text: str
    token_ids: list[int]
    finish_reason: str  # "stop" | "length"


@dataclass
class GenerationResult:
    request_id: str
    outputs: list[SequenceOutput]
    prompt_tokens: int
    queue_s: float
    ttft_s: float
    total_s: float
    # A remote server that reports usage but not token ids (backends.openai, dialect "openai").
    reported_completion_tokens: int | None = None
    # The backend that wrote it, where an engine routes between backends (backends.handoff); None: the
    # engine's own `backend`.
    backend: str | None = None
    # The served adapter's version, where an engine swaps adapters live (backends.live); None: the
    # configured one.
    adapter_version: int | None = None

    @property
    def completion_tokens(self) -> int:
        if self.reported_completion_tokens is not None:
            return self.reported_completion_tokens
        return sum(len(o.token_ids) for o in self.outputs)

    @property
    def text(self) -> str:
        return self.outputs[0].text
