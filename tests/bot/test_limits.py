"""The per-user rate limit: a sliding minute per (front door, workspace, user); HTTP exempt."""

from __future__ import annotations

import pytest

from bot.errors import RateLimited
from bot.limits import UserRateLimiter
from bot.messages import user_message
from bot.records import Origin


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_user_with_retry_after_and_a_plain_message() -> None:
    clock = Clock()
    limiter = UserRateLimiter(3, clock=clock)
    alice = Origin("slack", "U1", "T1")
    for _ in range(3):
        limiter.check(alice)
        clock.now += 1
    with pytest.raises(RateLimited) as info:
        limiter.check(alice)
    assert info.value.retry_after_s == 57  # the first request leaves the window 57 s from now
    assert user_message(info.value) == "slow down — you can ask for another draft in 57 s"
    limiter.check(Origin("slack", "U2", "T1"))  # another user is not affected
    limiter.check(Origin("discord", "U1", "T1"))  # nor the same id on another front door
    limiter.check(Origin("slack", "U1", "T2"))  # nor in another workspace
    clock.now += 57
    limiter.check(alice)  # the window slid past the first request


def test_refused_requests_are_not_counted() -> None:
    clock = Clock()
    limiter = UserRateLimiter(1, clock=clock)
    alice = Origin("discord", "U1", "G1")
    limiter.check(alice)
    for _ in range(5):
        clock.now += 10
        with pytest.raises(RateLimited):
            limiter.check(alice)
    clock.now += 10.5  # 60.5 s after the one that counted
    limiter.check(alice)


def test_zero_disables_and_http_is_exempt() -> None:
    off = UserRateLimiter(0)
    for _ in range(100):
        off.check(Origin("slack", "U1"))
    limited = UserRateLimiter(1)
    for _ in range(100):
        limited.check(Origin("http", "key:abc"))  # the HTTP guard limits per API key instead
