"""Metrics hooks the engine calls; the HTTP sidecar plugs Prometheus in, tests read the counters."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Protocol


class EngineMetrics(Protocol):
    def queue_depth(self, waiting: int) -> None: ...
    def batch_size(self, running: int) -> None: ...
    def first_token(self, seconds: float) -> None: ...
    def inter_token(self, seconds: float) -> None: ...
    def tokens_generated(self, count: int) -> None: ...
    def request_finished(self, outcome: str, seconds: float) -> None: ...


class CountingMetrics:
    """In-process default: cheap counters, safe to call from the worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting = 0
        self.running = 0
        self.max_running = 0
        self.tokens = 0
        self.outcomes: Counter[str] = Counter()
        self.first_token_seconds: list[float] = []

    def queue_depth(self, waiting: int) -> None:
        self.waiting = waiting

    def batch_size(self, running: int) -> None:
        self.running = running
        self.max_running = max(self.max_running, running)

    def first_token(self, seconds: float) -> None:
        with self._lock:
            self.first_token_seconds.append(seconds)
            del self.first_token_seconds[:-1000]

    def inter_token(self, seconds: float) -> None:
        pass

    def tokens_generated(self, count: int) -> None:
        with self._lock:
            self.tokens += count

    def request_finished(self, outcome: str, seconds: float) -> None:
        with self._lock:
            self.outcomes[outcome] += 1


class MetricsFanout:
    """Calls every registered sink; the engine holds one of these."""

    def __init__(self, *sinks: EngineMetrics) -> None:
        self.sinks: list[EngineMetrics] = list(sinks)

    def add(self, sink: EngineMetrics) -> None:
        self.sinks.append(sink)

    def queue_depth(self, waiting: int) -> None:
        for s in self.sinks:
            s.queue_depth(waiting)

    def batch_size(self, running: int) -> None:
        for s in self.sinks:
            s.batch_size(running)

    def first_token(self, seconds: float) -> None:
        for s in self.sinks:
            s.first_token(seconds)

    def inter_token(self, seconds: float) -> None:
        for s in self.sinks:
            s.inter_token(seconds)

    def tokens_generated(self, count: int) -> None:
        for s in self.sinks:
            s.tokens_generated(count)

    def request_finished(self, outcome: str, seconds: float) -> None:
        for s in self.sinks:
            s.request_finished(outcome, seconds)
