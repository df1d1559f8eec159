"""SamplingParams.banned_phrases on the in-process engine: a banned token sequence is never
completed while sampling (transformers' NoBadWordsLogitsProcessor semantics, as vLLM's bad_words)."""

from __future__ import annotations

import re

import pytest
import torch

from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.sampling import ban_tokens
from engine.types import GenerationRequest, SamplingParams

pytestmark = pytest.mark.model

PROMPT = "Deals of the week: cheap flights, cheap hotels, cheap trains, cheap cars, cheap"


def test_ban_tokens_blocks_only_the_sequence_being_completed() -> None:
    row = torch.zeros(10)
    banned = ((3,), (5, 6, 7))
    assert torch.isinf(ban_tokens(row, banned, [1, 2])[3])  # a one-token phrase: always
    assert not torch.isinf(ban_tokens(row, banned, [1, 5])[7])  # 5 then 6 not yet written
    out = ban_tokens(row, banned, [1, 5, 6])
    assert torch.isinf(out[7]) and torch.isinf(out).sum() == 2
    assert ban_tokens(row, (), [1]) is row


async def test_greedy_output_loses_the_banned_word(engine: AsyncEngine) -> None:
    params = SamplingParams(max_new_tokens=12, temperature=0.0)
    free = await engine.generate(GenerationRequest(prompt=PROMPT, params=params))
    assert re.search(r"\bcheap\b", free.text, re.IGNORECASE), free.text  # the prompt invites it
    bans = ("cheap", "Cheap")
    banned = await engine.generate(
        GenerationRequest(
            prompt=PROMPT,
            params=SamplingParams(max_new_tokens=12, temperature=0.0, banned_phrases=bans),
            n=2,
        )
    )
    for out in banned.outputs:
        assert not re.search(r"\b[Cc]heap\b", out.text), out.text
