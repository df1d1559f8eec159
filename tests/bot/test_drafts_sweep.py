"""Every tone x platform through the real model and the DraftService: spec fields, never over limit."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.catalog import Catalog
from bot.config import QualityConfig
from bot.drafts import DraftService

pytestmark = pytest.mark.model

SWEEP_TIMEOUT_S = 900.0


async def test_every_tone_and_platform(engine, catalog: Catalog, app_config) -> None:
    # one candidate per draft: this sweep checks every format; best-of-n has its own tests
    service = DraftService(engine, catalog, app_config.engine, quality=QualityConfig(best_of={}))
    briefs = [
        service.brief(
            {
                "prompt": "Launch of our new phone",
                "tone": tone,
                "platform": platform,
                "industry": "technology",
                "max_length": 32,
                "seed": 7,
            }
        )
        for tone in catalog.tones
        for platform in catalog.platforms
    ]
    # 56 drafts share a 32-row batch: the later ones queue, so allow for a busy CI machine.
    drafts = await asyncio.gather(*(service.create(b, timeout_s=SWEEP_TIMEOUT_S) for b in briefs))
    assert len(drafts) == len(catalog.tones) * len(catalog.platforms)
    for draft in drafts:
        platform = catalog.platforms[draft.brief.platform]
        post = draft.post
        assert post.text.strip(), draft.brief
        assert len(post.text) <= platform.char_limit
        assert post.word_count == len(post.text.split())
        assert re.fullmatch(r"\d+\.\ds", draft.generation_time)
        assert platform.hashtags.min <= len(post.hashtags) <= platform.hashtags.max
        assert "<|" not in post.text


async def test_variants_differ_and_seed_repeats(engine, catalog: Catalog, app_config) -> None:
    service = DraftService(engine, catalog, app_config.engine)
    brief = service.brief(
        {
            "prompt": "Autumn menu at Bramble Cafe",
            "platform": "x",
            "variants": 3,
            "max_length": 32,
            "seed": 11,
            "temperature": 0.9,
        }
    )
    first, again = await asyncio.gather(
        service.create(brief, timeout_s=SWEEP_TIMEOUT_S), service.create(brief, timeout_s=SWEEP_TIMEOUT_S)
    )
    texts = [v.text for v in first.variants]
    assert len(texts) == 3 and len(set(texts)) >= 2
    assert texts == [v.text for v in again.variants]
    # best-of-n: 6 candidates sampled, the 3 best kept, each with its score breakdown, best first
    totals = [v.score["total"] for v in first.variants if v.score]
    assert len(totals) == 3 and totals[0] >= totals[-1]
