"""Iteration-level (continuous) batching in one worker thread that owns the model.

Each loop: drop cancelled/expired sequences, admit waiting requests (up to the batch and prefill
budgets) with one prefill, then one decode step for every running sequence. A finished sequence
leaves at once, so short requests never wait for long ones.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.backends.transformers.batch import KVBatch
from engine.backends.transformers.sampling import choose_tokens
from engine.errors import EngineDead, EngineError, EngineTimeout
from engine.metrics import EngineMetrics
from engine.types import GenerationRequest, SamplingParams, SequenceOutput, TextDelta

log = logging.getLogger(__name__)

# Event sink for one request, called from the worker thread: a TextDelta, a finished
# SequenceOutput, or an exception (which ends the whole request).
Sink = Callable[[TextDelta | SequenceOutput | BaseException], None]


@dataclass
class Work:
    """A submitted request as the scheduler sees it."""

    request: GenerationRequest
    prompt_ids: list[int]
    sink: Sink
    deadline: float
    submitted: float = field(default_factory=time.perf_counter)
    admitted_at: float | None = None
    first_token_at: float | None = None
    cancelled: bool = False
    banned: tuple[tuple[int, ...], ...] = ()  # token sequences never to complete (params.banned_phrases)


@dataclass
class Sequence:
    work: Work
    index: int
    generator: torch.Generator | None
    generated: list[int] = field(default_factory=list)
    sent_chars: int = 0

    @property
    def params(self) -> SamplingParams:
        return self.work.request.params


def _stop_prefix_len(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest tail of `text` that could be the start of a stop string: held back
    from the stream until the next tokens show whether the stop string completes."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if stop.startswith(text[-size:]):
                longest = size
                break
    return longest


class Scheduler:
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        device: torch.device,
        *,
        max_batch_size: int,
        max_prefill_tokens: int,
        metrics: EngineMetrics,
    ) -> None:
        self.tokenizer = tokenizer
        self.batch = KVBatch(model, device)
        self.max_batch_size = max_batch_size
        self.max_prefill_tokens = max_prefill_tokens
        self.metrics = metrics
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        self.stop_ids = self._stop_ids(tokenizer, model)
        self.waiting: deque[Work] = deque()
        self.running: list[Sequence] = []
        self.admitting: list[Work] = []  # popped from `waiting`, not yet in `running`
        self.last_tokens: list[int] = []
        self._wake = threading.Condition()
        self._stopping = False
        self.dead: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name="postpulse-engine", daemon=True)

    @staticmethod
    def _stop_ids(tokenizer: Any, model: Any) -> set[int]:
        ids: set[int] = set()
        eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        for value in (eos, tokenizer.eos_token_id):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list):
                ids.update(value)
        for token in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>"):
            tid = tokenizer.convert_tokens_to_ids(token)
            if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
                ids.add(tid)
        return ids

    # ---- called from other threads -------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def submit(self, work: Work) -> None:
        with self._wake:
            if self.dead is not None:
                raise EngineDead(f"the engine stopped: {self.dead}")
            self.waiting.append(work)
            self.metrics.queue_depth(len(self.waiting))
            self._wake.notify()

    def cancel(self, work: Work) -> None:
        work.cancelled = True
        with self._wake:
            self._wake.notify()

    def stop(self, timeout: float = 10.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self.thread.is_alive():
            self.thread.join(timeout)

    @property
    def waiting_count(self) -> int:
        return len(self.waiting)

    # ---- worker thread -------------------------------------------------------------------------

    def _loop(self) -> None:
        torch.set_grad_enabled(False)
        try:
            while True:
                with self._wake:
                    while not self._stopping and not self.waiting and not self.running:
                        self._wake.wait()
                    if self._stopping:
                        break
                with torch.inference_mode():
                    self._step()
        except BaseException as exc:  # an unrecoverable fault: report it, never hang callers
            log.exception("engine worker died")
            self._die(exc)
            return
        self._die(EngineDead("the engine was shut down"))

    def _die(self, exc: BaseException) -> None:
        with self._wake:
            self.dead = exc
            pending = list(self.waiting)
            self.waiting.clear()
        error = exc if isinstance(exc, EngineError) else EngineDead(f"the engine stopped: {exc}")
        seen: set[int] = set()
        for work in pending + self.admitting + [s.work for s in self.running]:
            if id(work) not in seen:
                seen.add(id(work))
                work.sink(error)
        self.running.clear()
        self.admitting = []

    def _step(self) -> None:
        now = time.perf_counter()
        self._drop_finished_work(now)
        arrivals = self._admit(now)
        if arrivals:
            self.admitting = arrivals
            self._prefill(arrivals)
            self.admitting = []
        if self.running:
            step_started = time.perf_counter()
            logits = self.batch.decode(self.last_tokens)
            self._accept(logits, start=0)
            self.metrics.inter_token(time.perf_counter() - step_started)
        self.metrics.batch_size(len(self.running))

    def _drop_finished_work(self, now: float) -> None:
        keep: list[int] = []
        for row, seq in enumerate(self.running):
            work = seq.work
            if work.cancelled:
                continue
            if now > work.deadline:  # marking it cancelled makes its sibling variants leave too
                work.cancelled = True
                work.sink(EngineTimeout("generation ran past its deadline"))
                continue
            keep.append(row)
        if len(keep) != len(self.running):
            self._keep_rows(keep)

    def _admit(self, now: float) -> list[Work]:
        arrivals: list[Work] = []
        slots = self.max_batch_size - len(self.running)
        budget = self.max_prefill_tokens
        with self._wake:
            while self.waiting:
                work = self.waiting[0]
                if work.cancelled or now > work.deadline:
                    self.waiting.popleft()
                    if not work.cancelled:
                        work.sink(EngineTimeout("request timed out while queued"))
                    continue
                need = work.request.n
                if need > slots or (arrivals and len(work.prompt_ids) > budget):
                    break
                self.waiting.popleft()
                work.admitted_at = now
                arrivals.append(work)
                slots -= need
                budget -= len(work.prompt_ids)
            self.metrics.queue_depth(len(self.waiting))
        return arrivals

    def _prefill(self, arrivals: list[Work]) -> None:
        try:
            cache, mask, logits = self.batch.prefill([w.prompt_ids for w in arrivals], self.pad_id)
        except torch.OutOfMemoryError:
            raise
        except Exception as exc:  # a bad prompt fails alone; the running batch is untouched
            log.exception("prefill failed for %d request(s)", len(arrivals))
            for work in arrivals:
                work.sink(EngineError(f"generation failed: {exc}"))
            return
        rows = [i for i, w in enumerate(arrivals) for _ in range(w.request.n)]
        if len(rows) != len(arrivals):  # variants share one prefill, then fork
            mask = KVBatch.select_rows(cache, mask, rows)
            logits = logits.index_select(0, torch.tensor(rows, device=logits.device))
        new: list[Sequence] = []
        for work in arrivals:
            for index in range(work.request.n):
                new.append(Sequence(work, index, self._generator(work.request.params, index)))
        self.batch.join(cache, mask)
        self.running.extend(new)
        self.last_tokens.extend([0] * len(new))
        self._accept(logits, start=len(self.running) - len(new))

    @staticmethod
    def _generator(params: SamplingParams, index: int) -> torch.Generator | None:
        if params.temperature == 0.0:
            return None
        seed = params.seed if params.seed is not None else int.from_bytes(os.urandom(6), "little")
        return torch.Generator().manual_seed((seed + index) % 2**63)

    def _accept(self, logits: torch.Tensor, start: int) -> None:
        """Choose tokens for rows start.., emit deltas, and retire finished sequences."""
        seqs = self.running[start:]
        tokens = choose_tokens(
            logits,
            [s.params for s in seqs],
            [s.work.prompt_ids + s.generated for s in seqs],
            [s.generator for s in seqs],
            [s.work.banned for s in seqs],
        )
        now = time.perf_counter()
        finished: set[int] = set()
        self.metrics.tokens_generated(len(seqs))
        for offset, (seq, token) in enumerate(zip(seqs, tokens, strict=True)):
            row = start + offset
            if seq.work.cancelled:
                finished.add(row)
                continue
            if seq.work.first_token_at is None:
                seq.work.first_token_at = now
                self.metrics.first_token(now - seq.work.submitted)
            self.last_tokens[row] = token
            reason = self._emit(seq, token)
            if reason:
                finished.add(row)
        if finished:
            self._keep_rows([r for r in range(len(self.running)) if r not in finished])

    def _emit(self, seq: Sequence, token: int) -> str | None:
        """Record a token and stream the new text; returns a finish reason or None."""
        params = seq.params
        if token in self.stop_ids and not params.ignore_eos:
            return self._finish(seq, "stop")
        seq.generated.append(token)
        text = self.tokenizer.decode(seq.generated, skip_special_tokens=True)
        for stop in params.stop:
            cut = text.find(stop)
            if cut != -1:
                self._send(seq, text[:cut])
                return self._finish(seq, "stop", text[:cut])
        if not text.endswith("\ufffd"):  # hold back half a multi-byte character
            self._send(seq, text[: len(text) - _stop_prefix_len(text, params.stop)])
        if len(seq.generated) >= params.max_new_tokens:
            return self._finish(seq, "length", text)
        return None

    def _send(self, seq: Sequence, text: str) -> None:
        if len(text) > seq.sent_chars:
            seq.work.sink(TextDelta(seq.index, text[seq.sent_chars :]))
            seq.sent_chars = len(text)

    def _finish(self, seq: Sequence, reason: str, text: str | None = None) -> str:
        if text is None:
            text = self.tokenizer.decode(seq.generated, skip_special_tokens=True)
        self._send(seq, text.rstrip("\ufffd"))
        seq.work.sink(SequenceOutput(seq.index, text, list(seq.generated), reason))
        return reason

    def _keep_rows(self, rows: list[int]) -> None:
        self.batch.keep(rows)
        self.running = [self.running[r] for r in rows]
        self.last_tokens = [self.last_tokens[r] for r in rows]
