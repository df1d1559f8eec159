"""Adaptive best-of-n through the real model: a draft whose first candidates drop the brief's
specifics samples one more batch (bounded by quality.max_candidates), and the draft it returns keeps
every specific, saying in its score breakdown what the chosen candidate had missed."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.config import QualityConfig
from bot.drafts import DraftService
from bot.quality.bestof import known
from bot.quality.specifics import brief_specifics, check

pytestmark = pytest.mark.model


async def test_more_candidates_then_every_specific_kept(engine, catalog: Catalog, app_config) -> None:
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
    # the base model keeps at most "Saturday" of the three specifics: 2 candidates, then 2 more
    assert score["candidates"] == 4
    result = check(draft.post.text, brief_specifics(brief), known(brief, catalog))
    assert result.ok, (draft.post.text, score)
    assert score["missing"] == [] and score["restored"], score
    assert len(draft.post.text) <= catalog.platforms["x"].char_limit
