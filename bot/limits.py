"""Per-user rate limit on generations (chat front doors), from config `bot.user_rate_limit_per_minute`.

A sliding window per user in this process: a replica counts the requests it serves, which is what
protects its engine. Why not the HTTP guard's limiter: that one keys on API keys and answers HTTP;
this one keys on (front door, workspace, user) and answers in plain words. HTTP is exempt here
because its guard already limits per key.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable, Iterable

from bot.errors import RateLimited
from bot.records import Origin

WINDOW_S = 60.0


class UserRateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        exempt: Iterable[str] = ("http",),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.exempt = frozenset(exempt)
        self.clock = clock
        self._hits: dict[tuple[str, str, str], collections.deque[float]] = {}

    def check(self, origin: Origin) -> None:
        """Count one generation for the user, or raise RateLimited (counting nothing)."""
        if self.per_minute <= 0 or origin.front_door in self.exempt:
            return
        now = self.clock()
        key = (origin.front_door, origin.workspace_id or "", origin.user_id)
        hits = self._hits.setdefault(key, collections.deque())
        while hits and now - hits[0] >= WINDOW_S:
            hits.popleft()
        if len(hits) >= self.per_minute:
            wait = max(1, math.ceil(WINDOW_S - (now - hits[0])))
            raise RateLimited(
                f"you have asked for {self.per_minute} drafts in the last minute — try again in {wait} s",
                retry_after_s=wait,
            )
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle users so the table cannot grow without bound
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < WINDOW_S}
