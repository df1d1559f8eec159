"""Adaptive best-of-n. Repair first: a draft whose candidates drop the brief's specifics gets them
back in the brief's own words (no second decode), and says so in its score breakdown. Sample more
only where the repair cannot meet the requirement: then one more batch, bounded by
quality.max_candidates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.config import QualityConfig
from bot.drafts import DraftService
from bot.quality.bestof import known
from bot.quality.specifics import brief_specifics, check
from engine.interface import StreamEvent
from engine.types import GenerationRequest, GenerationResult, SequenceOutput


@pytest.mark.model
async def test_repair_keeps_every_specific_without_a_second_batch(
    engine, catalog: Catalog, app_config
) -> None:
    quality = QualityConfig(best_of={"transformers": 2}, max_candidates=4, tone_judge=False)
    service = DraftService(engine, catalog, app_config.engine, quality=quality)
    brief = service.brief(
        {
            "prompt": "Open house this Saturday 1-4pm for the downtown loft, listed at $425,000",
            "platform": "x",
            "industry": "real_estate",
            "max_length": 40,
            "seed": 5,
        }
    )
    draft = await service.create(brief, timeout_s=600)
    score = draft.post.score
    assert score is not None
    # the base model keeps at most "Saturday" of the three specifics; the repair restores the rest
    assert score["candidates"] == 2
    result = check(draft.post.text, brief_specifics(brief), known(brief, catalog))
    assert result.ok, (draft.post.text, score)
    assert score["missing"] == [] and score["restored"], score
    assert len(draft.post.text) <= catalog.platforms["x"].char_limit


class ScriptedEngine:
    """Answers each request with the next batch of texts: a stand-in for the engine, to test the
    DraftService decision above it (the real model cannot be made to fail the repair on demand)."""

    model_name = "scripted"
    backend = "transformers"
    is_dead = False

    def __init__(self, batches: list[list[str]]) -> None:
        self.batches = batches
        self.requests: list[GenerationRequest] = []

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        texts = self.batches[len(self.requests) - 1]
        outputs = [SequenceOutput(i, text, [1] * 20, "stop") for i, text in enumerate(texts[: request.n])]
        yield GenerationResult(request.request_id, outputs, 10, 0.0, 0.0, 0.0)

    def health(self) -> dict[str, Any]:
        return {}

    async def shutdown(self) -> None:
        return None


async def test_another_batch_only_where_the_repair_cannot_meet_it(catalog: Catalog, app_config) -> None:
    # "#" alone leaves no sentence: rejected, and nothing to restore in a brief without specifics
    good = "Meet the lighter running shoe. Built for long miles and quick recoveries. Find your pair today."
    engine = ScriptedEngine([["#", "#"], [good, good + " See you out there.", good, good]])
    quality = QualityConfig(best_of={"transformers": 2}, max_candidates=4, tone_judge=False)
    service = DraftService(engine, catalog, app_config.engine, quality=quality)
    brief = service.brief({"prompt": "our new running shoe", "platform": "x", "seed": 3})
    draft = await service.create(brief, timeout_s=60)
    assert [r.n for r in engine.requests] == [2, 2]  # one more batch, bounded by max_candidates (4)
    assert draft.post.score is not None and draft.post.score["candidates"] == 4
    assert draft.post.text.startswith("Meet the lighter running shoe.")

    engine = ScriptedEngine([[good, good + " See you out there."]])
    service = DraftService(engine, catalog, app_config.engine, quality=quality)
    await service.create(brief, timeout_s=60)
    assert len(engine.requests) == 1  # the requirement met: no second decode
