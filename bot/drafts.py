"""DraftService: the one path from a brief to finished drafts, shared by every front door."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

from bot.brief import Brief, make_brief
from bot.catalog import Catalog
from bot.config import AppConfig, QualityConfig
from bot.postprocess import Post
from bot.prompts import PromptFormat, build_messages, prompt_format_for
from bot.quality.bestof import pick, score_outputs
from bot.quality.tone import tone_judge
from engine.config import EngineConfig
from engine.interface import Engine, StreamEvent
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta

log = logging.getLogger(__name__)

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
        judge is warmed by whoever starts the process (BotService.warm_up), not here."""
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
        self, brief: Brief, request_id: str | None = None, timeout_s: float | None = None
    ) -> GenerationRequest:
        params = SamplingParams(
            max_new_tokens=brief.max_length,
            temperature=brief.temperature,
            top_p=TOP_P if brief.temperature > 0 else 1.0,
            repetition_penalty=REPETITION_PENALTY,
            seed=brief.seed,
        )
        # best-of-n: every candidate in one batched request; finish() keeps the best distinct ones
        request = GenerationRequest(
            messages=build_messages(brief, self.catalog, self.prompt_format),
            params=params,
            n=self.quality.candidates(self.engine.backend, brief.variants),
            timeout_s=timeout_s,
        )
        return replace(request, request_id=request_id) if request_id else request

    async def finished(self, brief: Brief, result: GenerationResult, seconds: float) -> Draft:
        """`finish`, in the executor: the event loop goes on serving every front door meanwhile.
        Everything `finish` calls (and any check added to it) runs off the loop this way."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.finish, brief, result, seconds)

    def finish(self, brief: Brief, result: GenerationResult, seconds: float) -> Draft:
        """Post-process and score every candidate; the best distinct ones become the variants, each
        with its score breakdown (Post.score). Blocking CPU work: the stream calls it through
        `finished`, in a worker thread."""
        judge = tone_judge() if self.quality.tone_judge else None
        candidates = score_outputs(brief, result.outputs, self.catalog, judge)
        chosen = pick(candidates, brief.variants)
        return Draft(
            brief=brief,
            variants=[c.item for c in chosen],
            generation_seconds=seconds,
            model=self.engine.model_name,
            request_id=result.request_id,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reasons=[c.finish_reason for c in chosen],
        )

    async def stream(
        self, brief: Brief, request_id: str | None = None, timeout_s: float | None = None
    ) -> AsyncIterator[DraftDelta | Draft]:
        """Raw deltas while the model writes, then the finished, post-processed Draft.

        Deltas preview the first `brief.variants` candidates only, so their index is always a
        variant's; best-of-n's extra candidates are scored at the end, and the Draft's variants (the
        best distinct candidates, post-processed) replace the previews.

        `timeout_s` bounds the whole generation (default: the engine's own request timeout), so a
        front door borrowing an engine can enforce its own limit.
        """
        started = time.perf_counter()
        events = self.engine.stream(self.request_for(brief, request_id, timeout_s))
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    if event.index < brief.variants:
                        yield DraftDelta(event.index, event.text)
                else:
                    yield await self.finished(brief, event, time.perf_counter() - started)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    def chat(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """A raw chat request (the OpenAI-compatible route): the engine's stream, unchanged."""
        return self.engine.stream(request)

    async def create(
        self, brief: Brief, request_id: str | None = None, timeout_s: float | None = None
    ) -> Draft:
        draft: Draft | None = None
        events = self.stream(brief, request_id, timeout_s)
        try:
            async for event in events:
                if isinstance(event, Draft):
                    draft = event
        finally:
            await events.aclose()  # type: ignore[attr-defined,unused-ignore]
        assert draft is not None, "the engine stream always ends with a result"
        return draft
