"""The one interface every backend honours, so nothing above the engine changes between deployments.

Chat messages (or a raw prompt) plus sampling parameters in; `TextDelta`s, then one
`GenerationResult`, out. Leaving the stream early cancels the request. Failures are the classes in
`engine.errors`: `EngineOverloaded` (retry later), `EngineTimeout`, `InvalidRequest`, `EngineDead`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from engine.errors import EngineError
from engine.metrics import MetricsFanout
from engine.types import GenerationRequest, GenerationResult, TextDelta

StreamEvent = TextDelta | GenerationResult


class Engine(Protocol):
    metrics: MetricsFanout

    @property
    def model_name(self) -> str: ...

    @property
    def backend(self) -> str:
        """`transformers`, `openai`, `vllm`: reported by /health and used as a metrics label."""
        ...

    @property
    def is_dead(self) -> bool: ...

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]: ...

    def health(self) -> dict[str, Any]:
        """Plain facts for /health: alive, model, backend, waiting, running; never a secret."""
        ...

    async def shutdown(self) -> None: ...


async def generate(engine: Engine, request: GenerationRequest) -> GenerationResult:
    """Drain a stream to its result (for callers that do not stream)."""
    result: GenerationResult | None = None
    stream = engine.stream(request)
    try:
        async for event in stream:
            if isinstance(event, GenerationResult):
                result = event
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    if result is None:  # pragma: no cover - a stream always ends with a result or raises
        raise EngineError("the engine ended a request without a result")
    return result
