"""The AsyncEngine under concurrent load with the real model (fp32, greedy): no cross-talk,
variants in one batch, a responsive event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta
from tests.engine.backends.transformers.conftest import SOLO_TOKENS, TOPICS, chat, greedy

pytestmark = pytest.mark.model


class BatchRecorder:
    """A metrics sink that remembers the largest running batch it saw."""

    def __init__(self) -> None:
        self.max_running = 0

    def queue_depth(self, waiting: int) -> None: ...

    def batch_size(self, running: int) -> None:
        self.max_running = max(self.max_running, running)

    def first_token(self, seconds: float) -> None: ...

    def inter_token(self, seconds: float) -> None: ...

    def tokens_generated(self, count: int) -> None: ...

    def request_finished(self, outcome: str, seconds: float) -> None: ...


async def collect(engine: AsyncEngine, request: GenerationRequest) -> tuple[list[str], GenerationResult]:
    """Consume a stream: (text of every delta for output 0, final result)."""
    deltas: list[str] = []
    result: GenerationResult | None = None
    async for event in engine.stream(request):
        if isinstance(event, TextDelta):
            assert event.index == 0
            deltas.append(event.text)
        else:
            result = event
    assert result is not None
    return deltas, result


async def test_solo_run_matches_plain_generate(engine: AsyncEngine, loaded_model: LoadedModel) -> None:
    """The reference itself is right: a lone engine request equals HF greedy `generate`."""
    tok, model = loaded_model.tokenizer, loaded_model.model
    result = await engine.generate(greedy(TOPICS[0]))
    ids = tok.apply_chat_template(chat(TOPICS[0]), add_generation_prompt=True, return_tensors="pt",
                                  return_dict=True)
    out = await asyncio.to_thread(
        model.generate, **ids, max_new_tokens=SOLO_TOKENS, do_sample=False, pad_token_id=tok.pad_token_id
    )
    expected = out[0, ids["input_ids"].shape[1]:].tolist()  # HF stops at EOS; the request ignores it
    assert len(expected) >= 10
    assert result.outputs[0].token_ids[: len(expected)] == expected
    assert result.outputs[0].finish_reason == "length"


async def test_twenty_concurrent_streams_no_cross_talk(
    engine: AsyncEngine, solo_tokens: dict[str, list[int]]
) -> None:
    """20 streams at once all complete; each equals its solo run; the answers differ."""
    firsts = {tuple(toks) for toks in solo_tokens.values()}
    assert len(firsts) == len(TOPICS), "prompts must give clearly different answers"
    recorder = BatchRecorder()
    engine.metrics.add(recorder)
    try:
        # Different lengths, so rows are left-padded and joined at different steps.
        requests = [greedy(t, max_new_tokens=SOLO_TOKENS + 2 * (i % 5)) for i, t in enumerate(TOPICS)]
        results = await asyncio.wait_for(
            asyncio.gather(*(collect(engine, r) for r in requests)), timeout=240
        )
    finally:
        engine.metrics.sinks.remove(recorder)
    assert recorder.max_running >= 10, "the streams were not batched together"
    for topic, request, (deltas, result) in zip(TOPICS, requests, results, strict=True):
        out = result.outputs[0]
        assert len(out.token_ids) == request.params.max_new_tokens
        assert out.token_ids[:SOLO_TOKENS] == solo_tokens[topic], f"cross-talk in stream for {topic!r}"
        assert "".join(deltas) == out.text, "streamed deltas must add up to the final text"
        assert result.ttft_s <= result.total_s
    texts = [r.outputs[0].text for _, r in results]
    assert len(set(texts)) == len(texts)


async def test_variants_run_as_one_request_and_are_reproducible(engine: AsyncEngine) -> None:
    """n=3 sampled variants share one request in the batch; the same seed gives the same drafts."""

    def request(seed: int) -> GenerationRequest:
        params = SamplingParams(max_new_tokens=12, temperature=0.9, top_p=0.95, seed=seed, ignore_eos=True)
        return GenerationRequest(messages=chat(TOPICS[3]), params=params, n=3)

    async def run(req: GenerationRequest) -> tuple[GenerationResult, int]:
        rows_at_first_delta = -1
        result: GenerationResult | None = None
        async for event in engine.stream(req):
            if isinstance(event, TextDelta) and rows_at_first_delta < 0:
                rows_at_first_delta = sum(1 for s in list(engine.scheduler.running) if s.work.request is req)
            elif isinstance(event, GenerationResult):
                result = event
        assert result is not None
        return result, rows_at_first_delta

    first, rows = await run(request(1234))
    assert rows == 3, "the three variants must decode as three rows of the running batch"
    assert [o.index for o in first.outputs] == [0, 1, 2]
    assert first.completion_tokens == 36
    drafts = [tuple(o.token_ids) for o in first.outputs]
    assert len(set(drafts)) >= 2, "sampled variants should not all be identical"

    again, _ = await run(request(1234))
    assert [tuple(o.token_ids) for o in again.outputs] == drafts
    other, _ = await run(request(99))
    assert [tuple(o.token_ids) for o in other.outputs] != drafts


async def test_event_loop_stays_responsive_during_heavy_generation(engine: AsyncEngine) -> None:
    """A 20 ms ticker keeps ticking while 16 streams prefill and decode."""
    period = 0.02
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(period)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick_task = asyncio.create_task(ticker())
    started = time.perf_counter()
    try:
        await asyncio.gather(*(engine.generate(greedy(t, max_new_tokens=24)) for t in TOPICS[:16]))
    finally:
        stop.set()
        await tick_task
    elapsed = time.perf_counter() - started
    assert elapsed > 1.0, "the load was too light to tell anything"
    ordered = sorted(gaps)
    median, worst = ordered[len(ordered) // 2], ordered[-1]
    detail = f"median gap {median * 1000:.0f} ms, max {worst * 1000:.0f} ms over {elapsed:.1f}s"
    # A loop that ran torch itself would stall for whole forward passes (or the whole generation).
    assert median < 2.5 * period, detail
    assert worst < 0.4, detail
    assert len(gaps) >= 0.4 * elapsed / period, detail

