"""Throttled message edits: about one `chat.update` a second per message, inside one per-workspace budget.

Slack rate-limits `chat.update` per workspace (Tier 3, about 50 a minute), so every draft streaming
into one workspace shares a token bucket. An edit waits for a token; while it waits, newer text
replaces older (updates coalesce), and final messages go ahead of progress edits. A 429 that still
gets through pauses the whole workspace for its Retry-After (slack_sdk's retry handler waits it out
and retries the call). The bucket is hand-written because it needs those two twists (priority for
finals, a pause on 429) that no rate-limit library offers; it is small.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

WINDOW_S = 60.0
# Errors after which editing the message again cannot work: post the final as a new message instead.
GONE = {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
FINAL_ATTEMPTS = 4


@dataclass
class _Bucket:
    tokens: float
    updated: float
    paused_until: float = 0.0
    waiters: list[tuple[int, int]] = field(default_factory=list)  # heap of (priority, ticket)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class UpdateBudget:
    """`per_minute` edits per workspace in any 60-second window.

    A bucket of `burst` tokens refilled at (per_minute - burst) / 60 a second: at most
    burst + refill * 60 = per_minute calls in any minute, spread evenly rather than spent at once.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.burst = max(1, per_minute // 10)
        self.per_second = (per_minute - self.burst) / WINDOW_S
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._tickets = itertools.count()

    def _bucket(self, workspace: str) -> _Bucket:
        if workspace not in self._buckets:
            self._buckets[workspace] = _Bucket(tokens=float(self.burst), updated=self.clock())
        return self._buckets[workspace]

    def _wait_needed(self, bucket: _Bucket) -> float:
        now = self.clock()
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if now < bucket.paused_until:
            return bucket.paused_until - now
        if bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) / self.per_second

    async def acquire(self, workspace: str, *, final: bool = False) -> None:
        """Wait for this workspace's next edit slot; finals are served before progress edits."""
        bucket = self._bucket(workspace)
        ticket = (0 if final else 1, next(self._tickets))
        async with bucket.changed:
            heapq.heappush(bucket.waiters, ticket)
            bucket.changed.notify_all()
            try:
                while True:
                    wait = self._wait_needed(bucket) if bucket.waiters[0] == ticket else None
                    if wait == 0.0:
                        bucket.tokens -= 1.0
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(bucket.changed.wait(), wait)
            finally:
                if ticket in bucket.waiters:
                    bucket.waiters.remove(ticket)
                    heapq.heapify(bucket.waiters)
                bucket.changed.notify_all()

    def pause(self, seconds: float) -> None:
        """Slack answered 429: hold every workspace's edits for `seconds` (one token = one workspace)."""
        until = self.clock() + seconds
        for bucket in self._buckets.values():
            bucket.paused_until = max(bucket.paused_until, until)
            bucket.tokens = 0.0


class BudgetAwareRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (sleeps Retry-After, retries) that also pauses the update budget, so
    other drafts' edits do not walk into the same wall."""

    def __init__(self, budget: UpdateBudget, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:
            retry_after = next((v[0] for k, v in response.headers.items() if k.lower() == "retry-after"), "1")
            with contextlib.suppress(ValueError):
                self.budget.pause(float(retry_after))
            log.info("Slack rate-limited %s; waiting %ss", request.url.rsplit("/", 1)[-1], retry_after)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def retry_handlers(budget: UpdateBudget, rate_limit_retries: int) -> list[AsyncRetryHandler]:
    from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler

    return [AsyncConnectionErrorRetryHandler(), BudgetAwareRateLimitHandler(budget, rate_limit_retries)]


@dataclass
class _State:
    text: str
    blocks: Sequence[dict[str, Any]]


class MessageUpdater:
    """Keeps one Slack message in step with a draft: `show()` records the newest view (returns at
    once), a background task edits at most every `interval_s` and only inside the budget, and
    `finish()` returns once the final view has landed (as an edit, or as a new message if the old
    one is gone)."""

    def __init__(
        self,
        client: AsyncWebClient,
        budget: UpdateBudget,
        *,
        workspace: str,
        channel: str,
        ts: str,
        thread_ts: str | None = None,
        interval_s: float = 1.0,
    ) -> None:
        self.client = client
        self.budget = budget
        self.workspace = workspace
        self.channel = channel
        self.ts = ts
        self.thread_ts = thread_ts
        self.interval_s = interval_s
        self.edits = 0
        self._latest: _State | None = None
        self._final: _State | None = None
        self._dirty = asyncio.Event()
        self._last_edit = 0.0
        self._task: asyncio.Task[None] | None = None

    def show(self, text: str, blocks: Sequence[dict[str, Any]]) -> None:
        self._latest = _State(text, blocks)
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"slack-edit-{self.ts}")

    async def finish(self, text: str, blocks: Sequence[dict[str, Any]]) -> str:
        """Land the final view; returns the ts of the message that holds it."""
        self._final = _State(text, blocks)
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"slack-edit-{self.ts}")
        await self._task
        return self.ts

    async def close(self) -> None:
        """Stop editing without a final view (the caller reports the failure its own way)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            if self._final is None:
                delay = self._last_edit + self.interval_s - time.monotonic()
                if delay > 0:  # a final arriving during this pause goes out without waiting for it
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._until_final(), delay)
            await self.budget.acquire(self.workspace, final=self._final is not None)
            self._dirty.clear()
            if self._final is not None:
                await self._land_final(self._final)
                return
            state = self._latest
            if state is None:
                continue
            self._last_edit = time.monotonic()
            try:
                await self._edit(state)
            except SlackApiError as exc:  # a lost progress edit is harmless; the final will retry
                log.warning("progress edit failed: %s", exc.response.get("error"))

    async def _until_final(self) -> None:
        while self._final is None:
            self._dirty.clear()
            await self._dirty.wait()
        self._dirty.set()

    async def _edit(self, state: _State) -> None:
        self.edits += 1
        await self.client.chat_update(
            channel=self.channel, ts=self.ts, text=state.text, blocks=list(state.blocks)
        )

    async def _land_final(self, state: _State) -> None:
        for attempt in range(FINAL_ATTEMPTS):
            try:
                if attempt:
                    await self.budget.acquire(self.workspace, final=True)
                await self._edit(state)
                return
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error in GONE:
                    break
                log.warning("final edit failed (%s), attempt %d of %d", error, attempt + 1, FINAL_ATTEMPTS)
                await asyncio.sleep(2**attempt)
        # The message cannot be edited any more: the final still lands, as a new message.
        response = await self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread_ts, text=state.text, blocks=list(state.blocks)
        )
        self.ts = str(response["ts"])
