"""The `openai` backend: any OpenAI-compatible server (vLLM, TGI, llama.cpp server, Ollama) behind
engine.interface.Engine.

Why aiohttp rather than the `openai` SDK: aiohttp is already PostPulse's HTTP stack, and the client
shares the CPU with the model server on a small box; a stream chunk here costs one `json.loads`, not a
pydantic model. It also gives the two behaviours this backend must guarantee directly: retries only
before the first token (the SDK would retry a whole request), and `response.close()` on cancellation,
which drops the connection so the server aborts the request instead of generating for no one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from engine.backends.openai_wire import (
    DONE,
    RETRYABLE_STATUS,
    Choice,
    EventLines,
    auth_message,
    coalesced,
    display_url,
    parse_chunk,
    refusal,
    request_body,
    take_choice,
    why,
)
from engine.config import EngineConfig, OpenAIConfig
from engine.errors import (
    EngineDead,
    EngineError,
    EngineOverloaded,
    EngineTimeout,
    EngineUnavailable,
)
from engine.interface import StreamEvent, check_request
from engine.metrics import CountingMetrics, MetricsFanout
from engine.types import GenerationRequest, GenerationResult, SequenceOutput

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 5.0


class OpenAIEngine:
    """Streams from `{base_url}/chat/completions` (or `/completions` for a raw prompt)."""

    backend = "openai"

    def __init__(
        self,
        config: OpenAIConfig,
        limits: EngineConfig,
        *,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
    ) -> None:
        self.config = config
        self.limits = limits
        self.base_url = config.base_url.rstrip("/")
        self._model = model or config.model
        env = os.environ if env is None else env
        key = env.get(config.api_key_env, "")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.counters = CountingMetrics()
        self.metrics = MetricsFanout(self.counters)
        self.state = "starting"
        self.error: str | None = None
        self.waiting = 0
        self.running = 0
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._session: aiohttp.ClientSession | None = None
        self._probe: asyncio.Task[None] | None = None
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start_session(self) -> None:
        """Open the connection pool (once)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.config.max_in_flight),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    sock_connect=self.config.connect_timeout_s,
                    sock_read=self.config.read_timeout_s,
                ),
                headers=self._headers,
            )

    async def start(self) -> OpenAIEngine:
        """Open the pool and learn the model name (when not configured); `shutdown()` if this raises."""
        await self.start_session()
        try:
            models = await self.list_models()
        except EngineUnavailable as exc:
            if self._model is None:  # without a configured name there is nothing to ask for
                raise
            self._mark_unreachable(str(exc))  # a remote server may come back: start, and say so in /health
            return self
        if self._model is None:
            if not models:
                raise EngineUnavailable(f"the model server at {self.where} lists no models")
            self._model = models[0]
        elif models and self._model not in models:
            log.warning("model %r is not among those %s lists: %s", self._model, self.where, models)
        self._mark_ready()
        return self

    async def list_models(self) -> list[str]:
        session = self._require_session()
        try:
            async with session.get(f"{self.base_url}/models") as resp:
                if resp.status in (401, 403):
                    raise EngineError(auth_message(resp.status, self.config.api_key_env))
                if resp.status != 200:
                    raise EngineUnavailable(f"{self.where} answered /models with HTTP {resp.status}")
                body = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError) as exc:
            raise EngineUnavailable(f"cannot reach the model server at {self.where}: {why(exc)}") from exc
        return [str(m.get("id")) for m in body.get("data", []) if isinstance(m, dict) and m.get("id")]

    async def load_lora_adapter(self, name: str, path: str) -> None:
        """Ask a vLLM server to load the LoRA adapter at `path` (a path on the server) as model `name`
        (`POST /v1/load_lora_adapter`; the server runs with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).
        A name already loaded (by another replica) counts as done: the call is idempotent."""
        session = self._require_session()
        body = {"lora_name": name, "lora_path": path}
        try:
            async with session.post(f"{self.base_url}/load_lora_adapter", json=body) as resp:
                text = (await resp.text())[:300]
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise EngineUnavailable(f"cannot reach the model server at {self.where}: {why(exc)}") from exc
        if resp.status == 200 or (resp.status == 400 and "already" in text.lower()):
            log.info("%s serves LoRA adapter %s", self.where, name)
            return
        if resp.status in (401, 403):
            raise EngineError(auth_message(resp.status, self.config.api_key_env))
        if resp.status == 404:
            raise EngineError(
                f"{self.where} cannot load adapters at run time (no /load_lora_adapter): start vLLM with "
                "--enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
            )
        raise EngineError(f"{self.where} refused to load LoRA adapter {name} (HTTP {resp.status}): {text}")

    async def shutdown(self) -> None:
        self._closed = True
        self.state = "stopped"
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        if self._session is not None:
            await self._session.close()

    # -- the Engine interface ------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self._model or "unknown"

    @property
    def is_dead(self) -> bool:
        """Only a shut-down engine is dead: an unreachable server may come back (see `state`)."""
        return self._closed

    @property
    def where(self) -> str:
        return display_url(self.base_url)

    def health(self) -> dict[str, Any]:
        return {
            "alive": self.state == "ready",
            "backend": self.backend,
            "state": self.state,
            "model": self.model_name,
            "base_url": self.where,
            "waiting": self.waiting,
            "running": self.running,
            "error": self.error,
        }

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        if self._closed:
            raise EngineDead("the engine has been shut down")
        check_request(request, self.limits)
        if self.waiting >= self.limits.max_queue and self._slots.locked():
            self.metrics.request_finished("overloaded", 0.0)
            raise EngineOverloaded(
                f"the engine queue is full ({self.limits.max_queue} waiting); retry shortly",
                retry_after_s=max(1.0, self.waiting / self.config.max_in_flight),
            )
        submitted = time.perf_counter()
        deadline = submitted + (request.timeout_s or self.limits.request_timeout_s)
        outcome = "cancelled"
        self.waiting += 1
        self.metrics.queue_depth(self.waiting)
        try:
            await self._wait_for_slot(deadline)
        finally:
            self.waiting -= 1
            self.metrics.queue_depth(self.waiting)
        self.running += 1
        self.metrics.batch_size(self.running)
        try:
            async for event in self._generate(request, submitted, deadline):
                yield event
            outcome = "ok"
        except EngineError as exc:
            outcome = type(exc).__name__
            raise
        finally:
            self.running -= 1
            self._slots.release()
            self.metrics.batch_size(self.running)
            self.metrics.request_finished(outcome, time.perf_counter() - submitted)

    # -- internals -----------------------------------------------------------------------------------

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise EngineUnavailable("the openai backend has not been started")
        return self._session

    async def _wait_for_slot(self, deadline: float) -> None:
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=max(0.0, deadline - time.perf_counter()))
        except TimeoutError as exc:
            raise EngineTimeout("the request waited past its time limit for a free slot") from exc

    async def _open(self, request: GenerationRequest, deadline: float) -> aiohttp.ClientResponse:
        """POST the request; retry 429/5xx-busy and refused connections with backoff, before any token."""
        path, body = request_body(request, self.model_name, self.config.dialect)
        session = self._require_session()
        attempt, tries = 0, self.config.retries + 1
        while True:
            failure: EngineError
            retry_after: float | None = None
            try:
                resp = await session.post(
                    f"{self.base_url}{path}",
                    json=body,
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        sock_connect=self.config.connect_timeout_s,
                        sock_read=min(self.config.read_timeout_s, max(0.01, deadline - time.perf_counter())),
                    ),
                )
            except TimeoutError as exc:
                raise EngineTimeout(f"the model server at {self.where} did not answer in time") from exc
            except aiohttp.ClientError as exc:
                failure = EngineUnavailable(f"cannot reach the model server: {why(exc)}")
                self._mark_unreachable(str(failure))
            else:
                if resp.status == 200:
                    return resp
                failure, retry_after = await refusal(
                    resp, tries=tries, model=self.model_name, key_env=self.config.api_key_env
                )
                resp.close()
                if resp.status not in RETRYABLE_STATUS:
                    raise failure
            delay = self._backoff(attempt, retry_after)
            if attempt >= self.config.retries or time.perf_counter() + delay >= deadline:
                log.warning("%s: giving up after %d tries: %s", request.request_id, attempt + 1, failure)
                raise failure
            attempt += 1
            log.info("request %s: %s; retry %d in %.2fs", request.request_id, failure, attempt, delay)
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = min(self.config.backoff_max_s, self.config.backoff_s * (2**attempt))
        if retry_after is not None:
            base = min(self.config.backoff_max_s, max(base, retry_after))
        return base * (0.5 + random.random() / 2)  # jitter, so retries from many clients spread out

    async def _generate(
        self, request: GenerationRequest, submitted: float, deadline: float
    ) -> AsyncIterator[StreamEvent]:
        resp = await self._open(request, deadline)
        opened = time.perf_counter()
        choices = [Choice() for _ in range(request.n)]
        usage: dict[str, Any] = {}
        first_at: float | None = None
        finished = False
        try:
            # One step per network read: several tokens that arrived together become one delta per
            # choice, so a consumer that fell behind catches up instead of falling further behind.
            async for payloads in self._events(resp, deadline):
                texts: dict[int, list[str]] = {}
                tokens = 0
                for data in payloads:
                    if data == DONE:
                        finished = True
                        break
                    chunk = parse_chunk(data)
                    if isinstance(chunk.get("usage"), dict):
                        usage = chunk["usage"]
                    for choice in chunk.get("choices") or ():
                        index, text, count = take_choice(choice, choices)
                        tokens += count
                        if text:
                            texts.setdefault(index, []).append(text)
                if tokens:
                    self.metrics.tokens_generated(tokens)
                if texts:
                    if first_at is None:
                        first_at = time.perf_counter()
                        self.metrics.first_token(first_at - submitted)
                    for delta in coalesced(texts):
                        yield delta
                if finished:
                    break
        finally:
            resp.close()  # drops the connection when we stop early: the server aborts the request
        if not finished:
            raise self._gone("the model server ended the stream without finishing it")
        self._mark_ready()
        done = time.perf_counter()
        ids_known = self.config.dialect == "vllm" and any(c.token_ids for c in choices)
        reported = usage.get("completion_tokens")
        yield GenerationResult(
            request_id=request.request_id,
            outputs=[
                SequenceOutput(i, "".join(c.text), c.token_ids, c.finish()) for i, c in enumerate(choices)
            ],
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            queue_s=opened - submitted,
            ttft_s=(first_at or done) - submitted,
            total_s=done - submitted,
            reported_completion_tokens=None if ids_known or reported is None else int(reported),
        )

    async def _events(self, resp: aiohttp.ClientResponse, deadline: float) -> AsyncIterator[list[bytes]]:
        """The `data:` payloads of a server-sent event stream, as many as each network read brought,
        bounded by the request's deadline."""
        content = resp.content
        lines = EventLines()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise EngineTimeout("generation took longer than the request's time limit")
            try:
                async with asyncio.timeout(remaining):  # no task per read, unlike wait_for
                    data = await content.readany()
            except TimeoutError as exc:
                raise EngineTimeout(
                    f"the model server sent nothing for {self.config.read_timeout_s:.0f}s"
                    if remaining > self.config.read_timeout_s
                    else "generation took longer than the request's time limit"
                ) from exc
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                raise self._gone(f"the model server went away mid-request ({why(exc)})") from exc
            if not data:  # the end of the stream
                if last := lines.end():
                    yield last
                return
            if payloads := lines.feed(data):
                yield payloads

    def _gone(self, message: str) -> EngineUnavailable:
        self._mark_unreachable(message)
        return EngineUnavailable(message + "; retry shortly")

    def _mark_ready(self) -> None:
        if self.state != "ready":
            log.info("model server %s is ready (%s)", self.where, self.model_name)
        self.state, self.error = "ready", None

    def _mark_unreachable(self, message: str) -> None:
        """Report the server down in /health, and probe it until it answers again."""
        if self._closed:
            return
        if self.state != "unreachable":
            log.warning("model server %s: %s", self.where, message)
        self.state, self.error = "unreachable", message
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._probe_until_back(), name="postpulse-openai-probe")

    async def _probe_until_back(self) -> None:
        while self.state == "unreachable" and not self._closed:
            await asyncio.sleep(PROBE_INTERVAL_S)
            with contextlib.suppress(EngineError):
                await self.list_models()
                self._mark_ready()


async def start_openai(
    config: OpenAIConfig, limits: EngineConfig, env: Mapping[str, str] | None = None
) -> OpenAIEngine:
    engine = OpenAIEngine(config, limits, env=env)
    try:
        return await engine.start()
    except BaseException:
        await engine.shutdown()
        raise
