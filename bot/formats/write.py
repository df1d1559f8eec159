"""Brief + plan -> a thread or a carousel: one batched engine request, every candidate assembled, the
best one kept. Takes any DraftService-like object (an engine, the catalogues and the engine limits),
so the Assistant, HTTP and the tests call it with the DraftService they already hold.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats import assemble
from bot.formats.parts import Finisher, Parts, missing
from bot.formats.prompts import format_messages, max_new_tokens
from bot.formats.shape import Plan, ThreadPlan
from bot.links.extract import SpecificsFinder, guard_specifics
from engine.config import EngineConfig
from engine.interface import Engine, generate
from engine.types import GenerationRequest, SamplingParams, SequenceOutput

TOP_P = 0.9
REPETITION_PENALTY = 1.1


class DraftSource(Protocol):
    """What write_parts needs of a DraftService (bot.drafts.DraftService has all three)."""

    engine: Engine
    catalog: Catalog
    limits: EngineConfig


@dataclass(frozen=True)
class Formatted:
    """A thread or carousel draft, with what the store and the front doors record of a Draft."""

    brief: Brief
    plan: Plan
    parts: Parts
    model: str
    request_id: str
    generation_seconds: float
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def brief_specifics(brief: Brief, finder: SpecificsFinder = guard_specifics) -> list[str]:
    """The specifics the parts must keep: what the brief and its call to action state."""
    found = [s for text in (brief.prompt, brief.call_to_action) if text for s in finder(text)]
    return list(dict.fromkeys(found))


def assemble_output(raw: str, plan: Plan, brief: Brief, catalog: Catalog, specifics: Sequence[str]) -> Parts:
    """One sampled answer in shape (CPU work: the caller runs it off the event loop)."""
    finisher = Finisher(brief, catalog)
    if isinstance(plan, ThreadPlan):
        return assemble.thread(raw, plan, finisher, specifics)
    return assemble.carousel(raw, plan, finisher, specifics)


def rank(parts: Parts, specifics: Sequence[str]) -> tuple[int, int, int, int]:
    """Higher is better: the model's own parts over the splitter's, then the specifics kept without
    restoring, then the fewer invented specifics removed, then the count planned."""
    kept = len(specifics) - len(missing(parts.texts, specifics))
    return (0 if parts.fallback else 1, kept - len(parts.restored), -len(parts.removed), len(parts.texts))


def pick_best(
    outputs: Sequence[SequenceOutput], plan: Plan, brief: Brief, catalog: Catalog, specifics: Sequence[str]
) -> tuple[Parts, SequenceOutput]:
    built = [(assemble_output(o.text, plan, brief, catalog, specifics), o) for o in outputs]
    return max(built, key=lambda item: rank(item[0], specifics))


async def write_parts(
    service: DraftSource,
    brief: Brief,
    plan: Plan,
    *,
    candidates: int = 2,
    request_id: str | None = None,
    timeout_s: float | None = None,
    finder: SpecificsFinder = guard_specifics,
    banned: tuple[str, ...] = (),
) -> Formatted:
    """A thread or carousel for `brief` (its platform is `plan.platform`'s). `candidates` are sampled
    in one batch and the best kept; `finder` is the specifics seam (bot.links.extract); `banned`: the
    brand kit's phrases the engine blocks while sampling (BrandKit.sampling_bans)."""
    if brief.platform != plan.platform:
        raise ValueError(f"the brief is for {brief.platform}, the plan for {plan.platform}")
    limits = service.limits
    params = SamplingParams(
        max_new_tokens=max_new_tokens(plan, limits.max_new_tokens_cap),
        temperature=brief.temperature,
        top_p=TOP_P if brief.temperature > 0 else 1.0,
        repetition_penalty=REPETITION_PENALTY,
        seed=brief.seed,
        banned_phrases=banned,
    )
    request = GenerationRequest(
        messages=format_messages(brief, plan, service.catalog),
        params=params,
        n=max(1, min(candidates, limits.max_batch_size)),
        timeout_s=timeout_s,
    )
    if request_id:
        request = replace(request, request_id=request_id)
    started = time.perf_counter()
    result = await generate(service.engine, request)
    specifics = brief_specifics(brief, finder)
    parts, output = await asyncio.to_thread(
        pick_best, result.outputs, plan, brief, service.catalog, specifics
    )
    return Formatted(
        brief=brief,
        plan=plan,
        parts=parts,
        model=service.engine.model_name,
        request_id=result.request_id,
        generation_seconds=time.perf_counter() - started,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        finish_reason=output.finish_reason,
    )
