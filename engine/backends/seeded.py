"""Seeded requests on the managed vLLM child: one candidate at a time, each prefilled cold.

Why: the seed fixes vLLM's random draws, not its arithmetic. Measured on vLLM CPU 0.32 (bf16, issue
22), the same seeded request gave other tokens when
- its prompt came from the prefix cache rather than being prefilled whole (a warm prefill computes
  only the uncached tail, in other shapes), and when
- vLLM's fan-out of `n` (one child request per candidate, handed to the engine core one by one) put
  the candidates into its first step together one time and apart the next, or another request
  shared the batch.
At temperature 0.9 a near-tie then flips one token and the rest of the candidate follows it. So a
seeded request with n > 1 goes to the child as n requests of one candidate each, one after another,
seeded seed + i as vLLM seeds a request's i-th child itself; and the wire gives each seeded request a
fresh `cache_salt` (openai_wire.request_body), so it never reads the prefix cache. A seeded draft
then repeats exactly in any cache state while nothing else runs on the child; a request running
beside it still changes the batch, and can change the draft (vLLM 0.32 has no batch invariance on CPU).
Unseeded requests are untouched: all candidates in one request, prefix cache on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import replace

from engine.errors import EngineTimeout
from engine.interface import StreamEvent
from engine.types import GenerationRequest, GenerationResult, SequenceOutput, TextDelta

Generate = Callable[[GenerationRequest], AsyncIterator[StreamEvent]]


def one_at_a_time(request: GenerationRequest) -> bool:
    return request.params.seed is not None and request.n > 1


def candidates(request: GenerationRequest) -> list[GenerationRequest]:
    """Candidate i on its own, seeded as vLLM seeds a request's i-th child (seed + i)."""
    seed = request.params.seed
    assert seed is not None
    return [
        replace(
            request,
            n=1,
            params=replace(request.params, seed=seed + i),
            request_id=f"{request.request_id}-{i}",
        )
        for i in range(request.n)
    ]


def merged(request: GenerationRequest, parts: list[GenerationResult]) -> GenerationResult:
    """The candidates' results as the one result of `request`, candidate i at index i."""
    reported = [p.reported_completion_tokens for p in parts]
    return GenerationResult(
        request_id=request.request_id,
        outputs=[
            SequenceOutput(i, p.outputs[0].text, p.outputs[0].token_ids, p.outputs[0].finish_reason)
            for i, p in enumerate(parts)
        ],
        prompt_tokens=parts[0].prompt_tokens,
        queue_s=parts[0].queue_s,
        ttft_s=parts[0].ttft_s,
        total_s=sum(p.total_s for p in parts),
        reported_completion_tokens=None if None in reported else sum(r or 0 for r in reported),
    )


async def each_candidate(
    request: GenerationRequest, generate: Generate, timeout_s: float
) -> AsyncIterator[StreamEvent]:
    """`generate` each candidate in turn within the request's one time limit; deltas carry the
    candidate's index, then one merged result."""
    deadline = time.monotonic() + (request.timeout_s or timeout_s)
    parts: list[GenerationResult] = []
    for i, part in enumerate(candidates(request)):
        left = deadline - time.monotonic()
        if left <= 0:
            raise EngineTimeout("generation took longer than the request's time limit")
        events = generate(replace(part, timeout_s=left))
        async with aclosing(events):  # type: ignore[type-var]  # a reader who leaves aborts it now
            async for event in events:
                if isinstance(event, TextDelta):
                    yield TextDelta(i, event.text)
                else:
                    parts.append(event)
    yield merged(request, parts)
