"""The one interface every backend honours, so nothing above the engine changes between deployments.

Chat messages (or a raw prompt) plus sampling parameters in; `TextDelta`s, then one
`GenerationResult`, out. Leaving the stream early cancels the request. Failures are the classes in
`engine.errors`: `EngineOverloaded` (retry later), `EngineTimeout`, `InvalidRequest`, `EngineDead`.
What every backend accepts is `check_request`, called by each backend before it queues anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from engine.config import EngineConfig
from engine.errors import EngineError, InvalidRequest
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


def check_request(request: GenerationRequest, limits: EngineConfig) -> None:
    """The configured limits every backend enforces the same way (InvalidRequest naming the field)."""
    if request.messages is None and request.prompt is None:
        raise InvalidRequest("a request needs messages or a prompt", field="messages")
    if not 1 <= request.n <= limits.max_batch_size:
        raise InvalidRequest(f"n must be between 1 and {limits.max_batch_size}", field="n")
    if not 1 <= request.params.max_new_tokens <= limits.max_new_tokens_cap:
        raise InvalidRequest(
            f"max_new_tokens must be between 1 and {limits.max_new_tokens_cap}", field="max_new_tokens"
        )


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
