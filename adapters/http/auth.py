"""API keys (when POSTPULSE_API_KEYS is set) and a per-key rate limit.

Keys are compared in constant time and never logged; a caller is identified in logs and buckets by a
short hash of its key. The token bucket is hand-written: it is fifteen lines, and the PyPI limiters
we looked at either want Redis/another store or a decorator shape that does not fit a middleware
keyed by caller.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from adapters.http.errors import ApiError, Handler
from adapters.http.guards import GUARDS
from adapters.http.state import GUARD
from adapters.playground import PUBLIC_PATHS as PLAYGROUND_PATHS
from bot.errors import RateLimited
from bot.records import ROLES, Role

# Probes, scrapes, the spec and the playground page stay open so orchestrators and tools need no key.
PUBLIC_PATHS = frozenset({"/health", "/ready", "/metrics", "/openapi.json"}) | PLAYGROUND_PATHS
# Slack signs its deliveries; bolt checks the signature (401 otherwise), so no API key applies there.
PUBLIC_PATHS |= {"/slack/events"}
# Only the routes that run the model spend rate-limit tokens.
LIMITED_PATHS = frozenset({"/generate-text", "/v1/chat/completions"})
MAX_BUCKETS = 10_000


@dataclass
class TokenBucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Spend one token; returns 0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.per_second


class RateLimiter:
    """`per_minute` requests per caller, with bursts up to the same number; 0 disables it."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def check(self, caller: str) -> None:
        if self.per_minute <= 0:
            return
        now = self.clock()
        bucket = self.buckets.get(caller)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:  # forget idle callers rather than grow forever
                self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < 60}
            bucket = TokenBucket(self.per_minute, self.per_minute / 60.0, self.per_minute, now)
            self.buckets[caller] = bucket
        wait = bucket.take(now)
        if wait > 0:
            raise RateLimited(
                f"rate limit of {self.per_minute} requests per minute reached; retry in {math.ceil(wait)}s",
                retry_after_s=wait,
            )


def load_keys(env_var: str, env: Mapping[str, str]) -> list[str]:
    raw = env.get(env_var, "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def caller_id(key: str) -> str:
    """What logs and buckets see instead of the key."""
    return "key:" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


class Guard:
    """Authentication plus rate limiting for one app. Admin and reviewer keys (bot.config.RolesConfig)
    are valid API keys too, and carry their roles."""

    def __init__(
        self,
        keys: list[str],
        limiter: RateLimiter,
        admin_keys: list[str] | None = None,
        reviewer_keys: list[str] | None = None,
    ) -> None:
        admins, reviewers = admin_keys or [], reviewer_keys or []
        self._keys = [k.encode() for k in dict.fromkeys([*keys, *admins, *reviewers])]
        self._roles: dict[str, frozenset[Role]] = {}
        for key in self._keys:
            text = key.decode()
            granted: set[Role] = {"admin"} if text in admins else set()
            if text in reviewers:
                granted.add("reviewer")
            self._roles[caller_id(text)] = frozenset(granted)
        self.limiter = limiter

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def _given(self, request: web.Request) -> list[bytes]:
        """Every key the request presents, as bytes. aiohttp hands header values over as text
        decoded with surrogateescape, so any bytes a client sends (non-ASCII, invalid UTF-8) go back
        to bytes without an error. An Authorization header that is not `Bearer <key>` presents an
        empty key, which is refused: no header is ever silently ignored."""
        given: list[str] = []
        if "Authorization" in request.headers:
            auth = request.headers["Authorization"]
            given.append(auth[7:].strip() if auth[:7].lower() == "bearer " else "")
        if "X-API-Key" in request.headers:
            given.append(request.headers["X-API-Key"])
        return [key.encode("utf-8", "surrogateescape") for key in given]

    def _known(self, candidate: bytes) -> bool:
        matched = False
        for key in self._keys:  # check every key, so timing does not tell which one matched
            matched |= hmac.compare_digest(candidate, key)
        return matched

    def authenticate(self, request: web.Request) -> str:
        """The caller's identity, or ApiError 401. A request presenting keys in both headers must
        present the same valid key twice: a wrong or different one beside a right one is refused, so
        no header is silently ignored and no request speaks for two callers."""
        if not self._keys:
            return "addr:" + request.app[GUARDS].client_address(request)
        given = self._given(request)
        if not any(given):
            raise ApiError(
                401,
                "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                "authentication_error",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if len(set(given)) > 1 or not all([self._known(candidate) for candidate in given]):  # check all
            raise ApiError(
                401, "invalid API key", "authentication_error", headers={"WWW-Authenticate": "Bearer"}
            )
        return caller_id(given[0].decode("utf-8", "surrogateescape"))

    def roles(self, caller: str) -> frozenset[Role]:
        """With keys off (local use) every caller administers and reviews, as every caller drafts."""
        if not self._keys:
            return frozenset(ROLES)
        return self._roles.get(caller, frozenset())


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 before any work; 429 with Retry-After for callers over their rate, and for an address
    after `http.auth_failures_per_window` failed authentications (guards.AuthFailures)."""
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else request.path
    if path in PUBLIC_PATHS or request.match_info.http_exception is not None:
        return await handler(request)
    guard = request.app[GUARD]
    failures = request.app[GUARDS].failures
    address = request.app[GUARDS].client_address(request)
    wait = failures.blocked_for(address)
    if wait > 0:
        raise failures.refusal(wait)
    try:
        caller = guard.authenticate(request)
    except ApiError:
        failures.record(address)
        raise
    if path in LIMITED_PATHS and request.method == "POST":
        guard.limiter.check(caller)
    return await handler(request)
