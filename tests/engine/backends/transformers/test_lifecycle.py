"""Cancellation, bounded queue, timeouts, dead engines, stop strings and invalid requests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any

import pytest
import torch

from engine.backends.transformers.async_engine import AsyncEngine
from engine.errors import EngineDead, EngineError, EngineOverloaded, EngineTimeout, InvalidRequest
from engine.types import GenerationRequest, SamplingParams, TextDelta
from tests.engine.backends.transformers.conftest import SOLO_TOKENS, TOPICS, EngineFactory, greedy, wait_until

pytestmark = pytest.mark.model

LONG = 1000  # tokens: a request that would run for a minute or more if nothing stopped it


def rows_of(engine: AsyncEngine, request: GenerationRequest) -> int:
    """How many rows of the running batch belong to `request`."""
    return sum(1 for s in list(engine.scheduler.running) if s.work.request is request)


def queued(engine: AsyncEngine, request: GenerationRequest) -> bool:
    return any(w.request is request for w in list(engine.scheduler.waiting))


def generated(engine: AsyncEngine, request: GenerationRequest) -> list[int]:
    """The token list of `request`'s running row (it stays the same list after the row leaves)."""
    return next(s.generated for s in list(engine.scheduler.running) if s.work.request is request)


def refused_at_once(call: Coroutine[Any, Any, Any]) -> BaseException:
    """The error `call` raises before it first waits for anything: proof, with no clock, that the
    refusal came at once. Fails if the call waits instead."""
    try:
        call.send(None)
    except BaseException as exc:
        return exc
    finally:
        call.close()
    raise AssertionError("the call waited instead of refusing at once")


async def consume(engine: AsyncEngine, request: GenerationRequest, started: asyncio.Event) -> int:
    """Read a stream to the end, setting `started` at the first delta; returns the delta count."""
    count = 0
    async for event in engine.stream(request):
        if isinstance(event, TextDelta):
            count += 1
            started.set()
    return count


# ---- cancellation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["aclose", "task_cancel"])
async def test_cancelling_one_stream_leaves_others_intact(
    engine: AsyncEngine, solo_tokens: dict[str, list[int]], how: str
) -> None:
    """Leaving one stream mid-way removes its row at the next step; the others finish unchanged."""
    others = [greedy(t, max_new_tokens=SOLO_TOKENS + 10) for t in TOPICS[:3]]
    victim = greedy(TOPICS[3], max_new_tokens=LONG)
    cancelled_before = engine.counters.outcomes["cancelled"]
    tasks = [asyncio.create_task(engine.generate(r)) for r in others]

    got: list[str] = []
    if how == "aclose":
        stream = engine.stream(victim)
        async for event in stream:
            if isinstance(event, TextDelta):
                got.append(event.text)
            if len(got) >= 3:
                break
        assert rows_of(engine, victim) == 1
        await stream.aclose()
    else:
        started = asyncio.Event()
        victim_task = asyncio.create_task(consume(engine, victim, started))
        await asyncio.wait_for(started.wait(), timeout=60)
        assert rows_of(engine, victim) == 1
        victim_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim_task

    await wait_until(lambda: rows_of(engine, victim) == 0, 5.0, "the cancelled row to leave the batch")
    assert not all(t.done() for t in tasks), "others should still be decoding when the slot is freed"
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    for request, result in zip(others, results, strict=True):
        topic = TOPICS[others.index(request)]
        assert len(result.outputs[0].token_ids) == SOLO_TOKENS + 10
        assert result.outputs[0].token_ids[:SOLO_TOKENS] == solo_tokens[topic]
    assert engine.counters.outcomes["cancelled"] == cancelled_before + 1
    await wait_until(lambda: not engine.scheduler.running, 5.0, "an empty batch")


async def test_cancel_frees_the_slot_for_a_queued_request(make_engine: EngineFactory) -> None:
    """With one slot: B waits behind A; cancelling A lets B in and finish at once."""
    eng = await make_engine(max_batch_size=1, max_queue=4)
    a = greedy(TOPICS[0], max_new_tokens=LONG)
    b = greedy(TOPICS[1], max_new_tokens=5)
    a_task = asyncio.create_task(eng.generate(a))
    await wait_until(lambda: rows_of(eng, a) == 1, 30, "A running")
    b_task = asyncio.create_task(eng.generate(b))
    await wait_until(lambda: queued(eng, b), 5, "B queued")
    await asyncio.sleep(0.2)
    assert queued(eng, b) and not b_task.done(), "B must wait while A holds the only slot"
    a_task.cancel()
    started = time.perf_counter()
    result = await asyncio.wait_for(b_task, timeout=30)
    assert len(result.outputs[0].token_ids) == 5
    assert time.perf_counter() - started < 15  # A alone would need a minute or more
    assert rows_of(eng, a) == 0


# ---- bounded queue ---------------------------------------------------------------------------------


async def test_queue_overflow_raises_engine_overloaded_immediately(make_engine: EngineFactory) -> None:
    """max_queue=1, max_batch_size=1: one running, one waiting, the third is refused at once."""
    eng = await make_engine(max_batch_size=1, max_queue=1)
    a = greedy(TOPICS[0], max_new_tokens=LONG)
    b = greedy(TOPICS[1], max_new_tokens=LONG)
    a_task = asyncio.create_task(eng.generate(a))
    await wait_until(lambda: rows_of(eng, a) == 1, 30, "A running")
    b_task = asyncio.create_task(eng.generate(b))
    await wait_until(lambda: queued(eng, b), 5, "B queued")

    refused = refused_at_once(eng.generate(greedy(TOPICS[2], max_new_tokens=5)))
    assert isinstance(refused, EngineOverloaded), "overload must be reported at once, not after a wait"
    assert refused.retry_after_s >= 1
    assert eng.counters.outcomes["overloaded"] == 1
    assert eng.health()["waiting"] == 1 and eng.health()["running"] == 1
    for task in (a_task, b_task):
        task.cancel()
    await asyncio.gather(a_task, b_task, return_exceptions=True)
    await wait_until(lambda: not eng.scheduler.running and not eng.scheduler.waiting, 10, "drained")


# ---- timeouts --------------------------------------------------------------------------------------


async def test_running_request_times_out(engine: AsyncEngine) -> None:
    """A request past its deadline is removed from the batch and reported as EngineTimeout."""
    request = GenerationRequest(
        messages=greedy(TOPICS[5]).messages,
        params=SamplingParams(max_new_tokens=LONG, ignore_eos=True),
        timeout_s=1.0,
    )
    task = asyncio.create_task(engine.generate(request))
    await wait_until(lambda: rows_of(engine, request) == 1, 30, "the request running")
    tokens = generated(engine, request)
    with pytest.raises(EngineTimeout):
        await asyncio.wait_for(task, timeout=30)
    assert len(tokens) < LONG  # stopped by its deadline, not by running its course
    await wait_until(lambda: rows_of(engine, request) == 0, 5, "the expired row to leave")
    assert engine.counters.outcomes["EngineTimeout"] >= 1
    ok = await engine.generate(greedy(TOPICS[6], max_new_tokens=3))  # the engine carries on
    assert len(ok.outputs[0].token_ids) == 3


async def test_queued_request_times_out(make_engine: EngineFactory) -> None:
    """A request that never gets a slot before its deadline fails with EngineTimeout."""
    eng = await make_engine(max_batch_size=1, max_queue=4)
    a = greedy(TOPICS[0], max_new_tokens=LONG)
    a_task = asyncio.create_task(eng.generate(a))
    await wait_until(lambda: rows_of(eng, a) == 1, 30, "A running")
    b = GenerationRequest(
        messages=greedy(TOPICS[1]).messages, params=SamplingParams(max_new_tokens=5), timeout_s=0.5
    )
    with pytest.raises(EngineTimeout):
        await asyncio.wait_for(eng.generate(b), timeout=20)
    assert not queued(eng, b)
    assert rows_of(eng, a) == 1, "the running request is untouched"
    a_task.cancel()
    await asyncio.gather(a_task, return_exceptions=True)


# ---- failures --------------------------------------------------------------------------------------


class FaultyModel:
    """Wraps the real model: prefill (more than one input position) and decode can be made to fail."""

    def __init__(
        self,
        model: Any,
        *,
        prefill_error: BaseException | None = None,
        decode_error: BaseException | None = None,
    ) -> None:
        self.model = model
        self.prefill_error = prefill_error
        self.decode_error = decode_error
        self.release = threading.Event()  # decode blocks until the test says go
        self.release.set()

    def __call__(self, *, input_ids: torch.Tensor, **kwargs: Any) -> Any:
        if input_ids.shape[1] > 1 and self.prefill_error is not None:
            error, self.prefill_error = self.prefill_error, None
            raise error
        if input_ids.shape[1] == 1 and self.decode_error is not None:
            self.release.wait(30)
            raise self.decode_error
        return self.model(input_ids=input_ids, **kwargs)


async def test_dead_worker_fails_pending_callers_and_health(make_engine: EngineFactory) -> None:
    """A decode fault kills the worker: running and queued callers get EngineDead; health says so."""
    eng = await make_engine(max_batch_size=1, max_queue=4)
    faulty = FaultyModel(eng.scheduler.batch.model, decode_error=RuntimeError("simulated device fault"))
    faulty.release.clear()
    eng.scheduler.batch.model = faulty
    a = greedy(TOPICS[0], max_new_tokens=50)
    b = greedy(TOPICS[1], max_new_tokens=50)
    a_task = asyncio.create_task(eng.generate(a))
    await wait_until(lambda: rows_of(eng, a) == 1, 30, "A running")
    b_task = asyncio.create_task(eng.generate(b))
    await wait_until(lambda: queued(eng, b), 5, "B queued")
    assert eng.health()["alive"]
    faulty.release.set()

    for task in (a_task, b_task):
        with pytest.raises(EngineDead):
            await asyncio.wait_for(task, timeout=30)
    health = eng.health()
    assert health["alive"] is False and eng.is_dead
    assert "simulated device fault" in (health["error"] or "")
    await wait_until(lambda: not eng.scheduler.thread.is_alive(), 5, "the worker to exit")
    assert isinstance(refused_at_once(eng.generate(greedy(TOPICS[2], max_new_tokens=5))), EngineDead)


async def test_out_of_memory_in_prefill_kills_the_engine(make_engine: EngineFactory) -> None:
    """Out of memory is unrecoverable: the caller gets EngineDead, not a hang."""
    eng = await make_engine(max_batch_size=4, max_queue=4)
    eng.scheduler.batch.model = FaultyModel(
        eng.scheduler.batch.model, prefill_error=torch.OutOfMemoryError("simulated OOM")
    )
    task = asyncio.create_task(eng.generate(greedy(TOPICS[0], max_new_tokens=5)))
    await wait_until(lambda: eng.is_dead, 30, "the engine to report itself dead")
    assert eng.health()["alive"] is False
    with pytest.raises(EngineDead):
        await asyncio.wait_for(task, timeout=5)


async def test_failing_prefill_fails_alone(make_engine: EngineFactory) -> None:
    """An ordinary error in one request's prefill fails that request only; the engine lives on."""
    eng = await make_engine(max_batch_size=4, max_queue=4)
    eng.scheduler.batch.model = FaultyModel(eng.scheduler.batch.model, prefill_error=ValueError("bad input"))
    with pytest.raises(EngineError) as info:
        await asyncio.wait_for(eng.generate(greedy(TOPICS[0], max_new_tokens=5)), timeout=30)
    assert not isinstance(info.value, EngineDead)
    assert eng.health()["alive"]
    result = await asyncio.wait_for(eng.generate(greedy(TOPICS[1], max_new_tokens=5)), timeout=30)
    assert len(result.outputs[0].token_ids) == 5


# ---- stop strings ----------------------------------------------------------------------------------


def multi_token_stop(engine: AsyncEngine, text: str) -> str:
    """A word from `text` (not the first) that the tokenizer splits into several tokens."""
    for word in text.split()[1:]:
        word = word.strip("\"'.,:!?")
        if len(word) >= 4 and len(engine.tokenizer.encode(" " + word, add_special_tokens=False)) >= 2:
            return word
    raise AssertionError(f"no multi-token word in {text!r}")


async def test_stop_string_cuts_the_output(engine: AsyncEngine) -> None:
    """Generation stops at a stop string; the stop text is not in the result."""
    reference = (await engine.generate(greedy(TOPICS[0], max_new_tokens=40))).outputs[0]
    stop = multi_token_stop(engine, reference.text)
    expected = reference.text[: reference.text.index(stop)]
    request = greedy(TOPICS[0], max_new_tokens=40, stop=(stop,))
    result = await engine.generate(request)
    out = result.outputs[0]
    assert out.text == expected
    assert out.finish_reason == "stop"
    assert len(out.token_ids) < 40


async def test_stop_string_never_leaks_into_the_stream(engine: AsyncEngine) -> None:
    """Streamed deltas must equal the final text even when the stop string spans several tokens."""
    reference = (await engine.generate(greedy(TOPICS[0], max_new_tokens=40))).outputs[0]
    stop = multi_token_stop(engine, reference.text)
    deltas: list[str] = []
    final = ""
    async for event in engine.stream(greedy(TOPICS[0], max_new_tokens=40, stop=(stop,))):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            final = event.outputs[0].text
    assert stop[:2] not in "".join(deltas)[len(final) :]
    assert "".join(deltas) == final


# ---- invalid requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (GenerationRequest(messages=greedy(TOPICS[0]).messages, n=0), "n"),
        (GenerationRequest(messages=greedy(TOPICS[0]).messages, n=10_000), "n"),
        (
            GenerationRequest(messages=greedy(TOPICS[0]).messages, params=SamplingParams(max_new_tokens=0)),
            "max_new_tokens",
        ),
        (
            GenerationRequest(
                messages=greedy(TOPICS[0]).messages, params=SamplingParams(max_new_tokens=1_000_000)
            ),
            "max_new_tokens",
        ),
        (GenerationRequest(), "messages"),
        (GenerationRequest(prompt="word " * 9000, params=SamplingParams(max_new_tokens=100)), "prompt"),
    ],
    ids=["n0", "n_too_many", "max_tokens_0", "max_tokens_too_large", "no_prompt", "prompt_too_long"],
)
async def test_invalid_requests_are_refused(
    engine: AsyncEngine, request_: GenerationRequest, field: str
) -> None:
    """Bad requests raise InvalidRequest naming the field, and never reach the queue."""
    submitted = engine.counters.tokens
    with pytest.raises(InvalidRequest) as info:
        await engine.generate(request_)
    assert info.value.field == field
    assert not queued(engine, request_) and rows_of(engine, request_) == 0
    assert engine.counters.tokens == submitted
