"""AsyncEngine: the asyncio face of the scheduler. The event loop never blocks on torch.

`stream()` is an async generator fed by a per-request queue; leaving it early (client gone, task
cancelled) cancels the request, and the scheduler frees its slot at the next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from engine.backends.transformers.loading import LoadedModel
from engine.backends.transformers.scheduler import Scheduler, Work
from engine.config import EngineConfig
from engine.errors import EngineDead, EngineOverloaded, InvalidRequest
from engine.interface import StreamEvent, check_request
from engine.interface import generate as drain
from engine.metrics import CountingMetrics, MetricsFanout
from engine.types import GenerationRequest, GenerationResult, SamplingParams, SequenceOutput, TextDelta

log = logging.getLogger(__name__)

class AsyncEngine:
    """The in-process backend (engine.interface.Engine)."""

    backend = "transformers"

    def __init__(self, loaded: LoadedModel, config: EngineConfig) -> None:
        self.loaded = loaded
        self.config = config
        self.counters = CountingMetrics()
        self.metrics = MetricsFanout(self.counters)
        self.tokenizer = loaded.tokenizer
        self.max_context = int(getattr(loaded.model.config, "max_position_embeddings", 8192))
        self.scheduler = Scheduler(
            loaded.model,
            loaded.tokenizer,
            loaded.device,
            max_batch_size=config.max_batch_size,
            max_prefill_tokens=config.max_prefill_tokens,
            metrics=self.metrics,
        )
        self.scheduler.start()

    @property
    def model_name(self) -> str:
        return self.loaded.name

    @property
    def is_dead(self) -> bool:
        return self.scheduler.dead is not None

    def health(self) -> dict[str, Any]:
        return {
            "alive": not self.is_dead,
            "backend": self.backend,
            "model": self.loaded.name,
            "device": str(self.loaded.device),
            "dtype": str(self.loaded.dtype).removeprefix("torch."),
            "waiting": self.scheduler.waiting_count,
            "running": len(self.scheduler.running),
            "error": None if self.scheduler.dead is None else str(self.scheduler.dead),
        }

    def encode(self, request: GenerationRequest) -> list[int]:
        try:
            return self._encode(request)
        except (TypeError, UnicodeError) as exc:  # e.g. unpaired surrogates in the text
            raise InvalidRequest(f"the prompt is not valid text: {exc}", field="prompt") from exc

    def _encode(self, request: GenerationRequest) -> list[int]:
        if request.messages is not None:
            ids = self.tokenizer.apply_chat_template(
                list(request.messages), add_generation_prompt=True, tokenize=True, return_dict=False
            )
            if not isinstance(ids, list):  # some tokenizers return a BatchEncoding
                ids = list(ids["input_ids"])
        elif request.prompt is not None:
            ids = self.tokenizer.encode(request.prompt, add_special_tokens=True)
        else:
            raise InvalidRequest("a request needs messages or a prompt", field="messages")
        if not ids:
            raise InvalidRequest("the prompt is empty", field="prompt")
        room = self.max_context - request.params.max_new_tokens
        if len(ids) > room:
            raise InvalidRequest(
                f"the prompt is {len(ids)} tokens; with max_new_tokens "
                f"{request.params.max_new_tokens} at most {room} fit the model's context",
                field="prompt",
            )
        return list(ids)

    def banned_ids(self, request: GenerationRequest) -> tuple[tuple[int, ...], ...]:
        """Token sequences of the banned phrases, as vLLM builds `bad_words`: each phrase alone and
        after a space (mid-text), since the tokenizer spells the two differently."""
        sequences: dict[tuple[int, ...], None] = {}
        for phrase in request.params.banned_phrases:
            for prefix in ("", " "):
                ids = self.tokenizer.encode(prefix + phrase.lstrip(), add_special_tokens=False)
                if ids:
                    sequences[tuple(int(i) for i in ids)] = None
        return tuple(sequences)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Text deltas as they are produced, then one GenerationResult."""
        if self.is_dead:
            raise EngineDead(f"the engine stopped: {self.scheduler.dead}")
        check_request(request, self.config)
        if self.scheduler.waiting_count >= self.config.max_queue:
            retry = max(1.0, round(self.scheduler.waiting_count / max(1, self.config.max_batch_size)))
            self.metrics.request_finished("overloaded", 0.0)
            raise EngineOverloaded(
                f"the engine queue is full ({self.config.max_queue} waiting); retry shortly",
                retry_after_s=retry,
            )
        prompt_ids = self.encode(request)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[TextDelta | SequenceOutput | BaseException] = asyncio.Queue()

        def sink(event: TextDelta | SequenceOutput | BaseException) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        timeout = request.timeout_s or self.config.request_timeout_s
        work = Work(
            request, prompt_ids, sink, deadline=time.perf_counter() + timeout, banned=self.banned_ids(request)
        )
        self.scheduler.submit(work)
        outputs: dict[int, SequenceOutput] = {}
        outcome = "cancelled"
        try:
            while len(outputs) < request.n:
                event = await events.get()
                if isinstance(event, BaseException):
                    outcome = type(event).__name__
                    raise event
                if isinstance(event, SequenceOutput):
                    outputs[event.index] = event
                else:
                    yield event
            outcome = "ok"
        finally:
            if outcome != "ok":
                self.scheduler.cancel(work)
            self.metrics.request_finished(outcome, time.perf_counter() - work.submitted)
        done = time.perf_counter()
        first = work.first_token_at or done
        yield GenerationResult(
            request_id=request.request_id,
            outputs=[outputs[i] for i in range(request.n)],
            prompt_tokens=len(prompt_ids),
            queue_s=(work.admitted_at or first) - work.submitted,
            ttft_s=first - work.submitted,
            total_s=done - work.submitted,
        )

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await drain(self, request)

    async def warm_up(self) -> None:
        """One tiny generation: the first bf16 steps on CPU pay a one-off kernel set-up (~1 s)."""
        await self.generate(GenerationRequest(prompt="Hello", params=SamplingParams(max_new_tokens=2)))

    async def shutdown(self) -> None:
        await asyncio.to_thread(self.scheduler.stop)

    async def __aenter__(self) -> AsyncEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.shutdown()


async def start_engine(
    loaded: LoadedModel | None, config: EngineConfig, model_config: Any = None
) -> AsyncEngine:
    """Load the model off the event loop (if not given) and start the worker."""
    if loaded is None:
        from engine.backends.transformers.loading import load_model

        loaded = await asyncio.to_thread(load_model, model_config)
    engine = AsyncEngine(loaded, config)
    await engine.warm_up()
    return engine
