"""DraftService: the one path from a brief to finished drafts, shared by every front door."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.brandkit.examples import closest
from bot.brandkit.kit import BrandKit
from bot.brandkit.rules import StreamGuard, compiled, obey_candidates
from bot.brief import Brief, make_brief
from bot.catalog import Catalog
from bot.config import AppConfig, QualityConfig
from bot.formats import Parts, Plan, brief_plan, write_parts
from bot.formats.kit import as_post, obey_parts
from bot.postprocess import Post
from bot.prompts import PromptFormat, build_messages, prompt_format_for
from bot.quality.bestof import Candidate, pick, repaired, score_outputs
from bot.quality.specifics import brief_specifics
from bot.quality.tone import tone_judge
from engine.config import EngineConfig
from engine.interface import Engine, StreamEvent, generate
from engine.types import GenerationRequest, GenerationResult, SamplingParams, SequenceOutput, TextDelta

log = logging.getLogger(__name__)
T = TypeVar("T")

# Sampling defaults for copy: some creativity, a guard against the small model's loops.
TOP_P = 0.9
REPETITION_PENALTY = 1.1


@dataclass
class Draft:
    brief: Brief
    variants: list[Post]
    generation_seconds: float
    model: str
    request_id: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reasons: list[str] = field(default_factory=list)
    backend: str = ""  # the engine backend that wrote it (a hand-off engine serves on two)
    parts: Parts | None = None  # a thread or carousel (bot.formats); its one variant is the parts joined
    adapter_version: int | None = None  # the brand adapter's version that wrote it (engine.backends.live)

    @property
    def post(self) -> Post:
        return self.variants[0]

    @property
    def generation_time(self) -> str:
        """The spec's format: "1.2s"."""
        return f"{self.generation_seconds:.1f}s"


@dataclass(frozen=True)
class DraftDelta:
    index: int
    text: str


class DraftService:
    """`quality`: best-of-n and the tone judge; `prompt_format`: the prompt the served adapter learned;
    `adapter`: a brand's name (bot.brands), recorded on its drafts. `build` derives them from config.
    `executor`: where `finish` runs, off the event loop (bot.pool; None: the loop's default executor)."""

    def __init__(
        self,
        engine: Engine,
        catalog: Catalog,
        limits: EngineConfig,
        *,
        quality: QualityConfig | None = None,
        prompt_format: PromptFormat = "full",
        adapter: str | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.limits = limits
        self.quality = quality if quality is not None else QualityConfig()
        self.prompt_format: PromptFormat = prompt_format
        self.adapter = adapter
        self.executor = executor

    @classmethod
    def build(
        cls,
        engine: Engine,
        catalog: Catalog,
        config: AppConfig,
        brand: str | None = None,
        executor: Executor | None = None,
    ) -> DraftService:
        """The DraftService serving `engine`: the default one, or `brand`'s (config.brands). The tone
        judge is warmed by whoever starts the process (BotService.warm_judge), not here."""
        lora = config.brands[brand].adapter if brand is not None else config.model.adapter
        prompt_format = prompt_format_for(config.quality.prompt_format, lora)
        log.info("drafts use the %s prompt (adapter %s)", prompt_format, lora or "none")
        return cls(
            engine,
            catalog,
            config.engine,
            quality=config.quality,
            prompt_format=prompt_format,
            adapter=brand,
            executor=executor,
        )

    @property
    def model_name(self) -> str:
        return self.engine.model_name

    def brief(self, raw: Mapping[str, Any]) -> Brief:
        """Validate raw fields from any adapter (raises engine.errors.InvalidRequest)."""
        return make_brief(raw, self.catalog, self.limits)

    def request_for(
        self,
        brief: Brief,
        request_id: str | None = None,
        timeout_s: float | None = None,
        *,
        kit: BrandKit | None = None,
        examples: Sequence[str] = (),
    ) -> GenerationRequest:
        """`kit`: the brand kit whose banned phrases the engine blocks while sampling; `examples`:
        its posts closest to the brief (bot.brandkit.examples), for the prompt."""
        params = SamplingParams(
            max_new_tokens=brief.max_length,
            temperature=brief.temperature,
            top_p=TOP_P if brief.temperature > 0 else 1.0,
            repetition_penalty=REPETITION_PENALTY,
            seed=brief.seed,
            banned_phrases=kit.sampling_bans() if kit is not None else (),
        )
        # best-of-n: every candidate in one batched request; finish() keeps the best distinct ones
        request = GenerationRequest(
            messages=build_messages(brief, self.catalog, self.prompt_format, examples),
            params=params,
            n=self.quality.candidates(self.engine.backend, brief.variants),
            timeout_s=timeout_s,
        )
        return replace(request, request_id=request_id) if request_id else request

    async def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        """Blocking CPU work (post-processing, the fact and specifics checks, tone scoring, best-of
        selection) in the executor: the event loop goes on serving every front door meanwhile."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(work, *args))

    def finish(
        self,
        brief: Brief,
        result: GenerationResult,
        seconds: float,
        candidates: list[Candidate[Post]] | None = None,
        extra: Sequence[GenerationResult] = (),
        kit: BrandKit | None = None,
    ) -> Draft:
        """Post-process and score every candidate; the best distinct ones become the variants, each
        with its score breakdown (Post.score), and any that still lacks a brief's specific gets it
        back in the brief's own words (bot.quality.repair). `candidates`: already scored (adaptive
        sampling scored them to decide whether to sample more), from `result` and `extra`. Under a
        brand kit the repaired variants obey it again: the brief's own words may hold a banned one."""
        if candidates is None:
            candidates = self.score(brief, result.outputs, kit)
        preferred = kit.preferred_hashtags if kit is not None else ()
        chosen = [repaired(brief, c, self.catalog, preferred) for c in pick(candidates, brief.variants)]
        chosen = self._obey(brief, chosen, kit)
        sampled = len(result.outputs) + sum(len(r.outputs) for r in extra)
        return Draft(
            brief=brief,
            variants=[replace(c.item, score={**(c.item.score or {}), "candidates": sampled}) for c in chosen],
            generation_seconds=seconds,
            model=self.engine.model_name,
            request_id=result.request_id,
            prompt_tokens=result.prompt_tokens + sum(r.prompt_tokens for r in extra),
            completion_tokens=result.completion_tokens + sum(r.completion_tokens for r in extra),
            finish_reasons=[c.finish_reason for c in chosen],
            backend=result.backend or self.engine.backend,
            adapter_version=result.adapter_version,
        )

    def score(
        self, brief: Brief, outputs: Sequence[SequenceOutput], kit: BrandKit | None = None
    ) -> list[Candidate[Post]]:
        """Every candidate post-processed, checked against the brief's specifics and, under a brand
        kit, made to obey it (one that held a banned phrase ranks after every clean one)."""
        judge = tone_judge() if self.quality.tone_judge else None
        preferred = kit.preferred_hashtags if kit is not None else ()
        scored = score_outputs(brief, outputs, self.catalog, judge, brief_specifics(brief), preferred)
        return self._obey(brief, scored, kit)

    def score_repaired(
        self, brief: Brief, outputs: Sequence[SequenceOutput], kit: BrandKit | None = None
    ) -> list[Candidate[Post]]:
        """`score`, then every candidate that lacks a specific repaired (bot.quality.repair) and made
        to obey the kit again: best-of-n then ranks what would actually be delivered."""
        preferred = kit.preferred_hashtags if kit is not None else ()
        candidates = [repaired(brief, c, self.catalog, preferred) for c in self.score(brief, outputs, kit)]
        return self._obey(brief, candidates, kit)

    def _obey(
        self, brief: Brief, candidates: list[Candidate[Post]], kit: BrandKit | None
    ) -> list[Candidate[Post]]:
        if kit is None or kit.empty:
            return candidates
        platform = self.catalog.platforms[brief.platform]
        return obey_candidates(candidates, kit, platform, brief.hashtags)

    async def complete(
        self,
        brief: Brief,
        result: GenerationResult,
        started: float,
        timeout_s: float | None = None,
        kit: BrandKit | None = None,
        examples: Sequence[str] = (),
    ) -> Draft:
        """Adaptive best-of-n: when fewer candidates than variants keep every specific (and contradict
        none, invent no name), even after the repair puts a missing one back in the brief's words,
        sample one more batch, up to `quality.max_candidates` in all, then finish. Repair first:
        it is deterministic and costs no decode, so the extra batch is spent only where it cannot
        help (a contradiction or an invented name it cannot mend). One batch of the rest rather than
        rounds: each round costs a full decode, and the draft p50 may grow at most 1.5x
        (bench/bestof.py --adaptive measures it)."""
        candidates = await self._off_loop(self.score_repaired, brief, result.outputs, kit)
        extra: list[GenerationResult] = []
        room = self.quality.max_candidates - len(result.outputs)
        if sum(c.meets for c in candidates) < brief.variants and room > 0:
            first = self.request_for(brief, None, timeout_s, kit=kit, examples=examples)
            seed = None if brief.seed is None else (brief.seed + 7919) % 2**32
            more = replace(  # routed as the first request was: the same adapter version writes both
                first,
                params=replace(first.params, seed=seed),
                n=min(room, 2 * len(result.outputs)),
                route_key=result.request_id,
            )
            extra.append(await generate(self.engine, more))
            candidates += await self._off_loop(self.score_repaired, brief, extra[-1].outputs, kit)
        seconds = time.perf_counter() - started
        return await self._off_loop(self.finish, brief, result, seconds, candidates, extra, kit)

    async def stream(
        self,
        brief: Brief,
        request_id: str | None = None,
        timeout_s: float | None = None,
        kit: BrandKit | None = None,
    ) -> AsyncIterator[DraftDelta | Draft]:
        """Raw deltas while the model writes, then the finished, post-processed Draft.

        Deltas preview the first `brief.variants` candidates only, so their index is always a
        variant's; best-of-n's extra candidates are scored at the end, and the Draft's variants (the
        best distinct candidates, post-processed) replace the previews.

        `timeout_s` bounds the whole generation (default: the engine's own request timeout), so a
        front door borrowing an engine can enforce its own limit.

        `kit`: the brand kit every variant obeys (bot.brandkit); previews hold back and scrub its
        banned phrases too, so none is ever shown, even for a moment.
        """
        plan = brief_plan(brief, self.catalog)  # InvalidOption for a format the platform does not take
        if plan is not None:  # written whole, not streamed: the parts are known only once it is split
            yield await self.formatted(brief, plan, request_id, timeout_s, kit)
            return
        started = time.perf_counter()
        examples: Sequence[str] = ()
        if kit is not None and kit.examples:  # TF-IDF over the kit's examples: off the event loop
            examples = await asyncio.to_thread(closest, brief.prompt, kit.examples)
        guards = (
            [StreamGuard(compiled(kit.banned), kit.banned) for _ in range(brief.variants)]
            if kit is not None and kit.banned
            else None
        )
        request = self.request_for(brief, request_id, timeout_s, kit=kit, examples=examples)
        events = self.engine.stream(request)
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    if event.index < brief.variants:
                        text = guards[event.index].feed(event.text) if guards else event.text
                        if text:
                            yield DraftDelta(event.index, text)
                else:
                    yield await self.complete(brief, event, started, timeout_s, kit, examples)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def formatted(
        self,
        brief: Brief,
        plan: Plan,
        request_id: str | None = None,
        timeout_s: float | None = None,
        kit: BrandKit | None = None,
    ) -> Draft:
        """A thread or carousel (bot.formats.write_parts: best of the quality config's candidates),
        each part under the brand kit, as a Draft whose one variant is the parts joined."""
        written = await write_parts(
            self,
            brief,
            plan,
            candidates=self.quality.candidates(self.engine.backend, 1),
            request_id=request_id,
            timeout_s=timeout_s,
            banned=kit.sampling_bans() if kit is not None else (),
        )
        platform = self.catalog.platforms[brief.platform]
        parts = await self._off_loop(obey_parts, written.parts, kit, platform, brief.hashtags)
        return Draft(
            brief=brief,
            variants=[as_post(parts)],
            generation_seconds=written.generation_seconds,
            model=written.model,
            request_id=written.request_id,
            prompt_tokens=written.prompt_tokens,
            completion_tokens=written.completion_tokens,
            finish_reasons=[written.finish_reason],
            backend=self.engine.backend,
            parts=parts,
        )

    def chat(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """A raw chat request (the OpenAI-compatible route): the engine's stream, unchanged."""
        return self.engine.stream(request)

    async def create(
        self,
        brief: Brief,
        request_id: str | None = None,
        timeout_s: float | None = None,
        kit: BrandKit | None = None,
    ) -> Draft:
        draft: Draft | None = None
        events = self.stream(brief, request_id, timeout_s, kit)
        try:
            async for event in events:
                if isinstance(event, Draft):
                    draft = event
        finally:
            await events.aclose()  # type: ignore[attr-defined,unused-ignore]
        assert draft is not None, "the engine stream always ends with a result"
        return draft
