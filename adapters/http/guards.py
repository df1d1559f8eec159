"""Checks every request passes before a route, and headers every response carries.

- Host allow-list (DNS rebinding): a page on evil.example whose name now resolves to 127.0.0.1 can
  make a browser call the key-less local server, but its requests say `Host: evil.example`. Localhost
  names and IP literals are always ours (rebinding needs a name); public names come from
  `http.allowed_hosts`. Probes (/health, /ready, /metrics) answer any host: orchestrators call them
  by pod address or service name.
- Security headers on every response: a Content-Security-Policy that allows only the playground's own
  files (plain JS and CSS, no inline code), no framing, no MIME sniffing.
- The request body is read within `http.body_timeout_s`, so a client that promises more than it
  sends cannot hold a handler.
- Failed authentications counted per client address (`AuthFailures`, used by auth.guard_middleware).

aiohttp offers none of these, and the one package that does some (aiohttp-remotes) covers only the
forwarded-address and allowed-hosts parts; each piece here is a few lines.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from adapters.http.errors import ApiError, Handler
from bot.config import HttpConfig

log = logging.getLogger(__name__)

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
PROBE_PATHS = frozenset({"/health", "/ready", "/metrics"})
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_ADDRESSES = 10_000


class AuthFailures:
    """Wrong or missing keys per client address in a sliding window; `limit` 0 turns it off.

    Takes a clock so tests need no sleeping; a deque of failure times per address is all it needs.
    """

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._seen.get(address, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def blocked_for(self, address: str) -> float:
        """Seconds until `address` may try again; 0 when it may now."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        times = self._recent(address, now)
        if len(times) < self.limit:
            return 0.0
        return times[-self.limit] + self.window_s - now

    def record(self, address: str) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        if address not in self._seen and len(self._seen) >= MAX_ADDRESSES:  # forget the quiet ones
            self._seen = {a: t for a, t in self._seen.items() if t and now - t[-1] < self.window_s}
        times = self._recent(address, now)
        times.append(now)
        self._seen[address] = times

    def refusal(self, wait_s: float) -> ApiError:
        return ApiError(
            429,
            f"too many failed authentication attempts from this address; retry in {math.ceil(wait_s)}s",
            "rate_limit_error",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


@dataclass(frozen=True)
class Guards:
    """What the checks need from `http:`, built once per app."""

    allowed_hosts: frozenset[str]
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    body_timeout_s: float
    failures: AuthFailures = field(compare=False)

    @classmethod
    def from_config(cls, http: HttpConfig, clock: Callable[[], float] = time.monotonic) -> Guards:
        return cls(
            allowed_hosts=frozenset(h.lower().rstrip(".") for h in http.allowed_hosts),
            trusted_proxies=tuple(ipaddress.ip_network(p, strict=False) for p in http.trusted_proxies),
            body_timeout_s=http.body_timeout_s,
            failures=AuthFailures(http.auth_failures_per_window, http.auth_failure_window_s, clock),
        )

    def host_allowed(self, name: str) -> bool:
        name = name.lower().rstrip(".")
        if "*" in self.allowed_hosts or name in LOCAL_NAMES or name.endswith(".localhost"):
            return True
        if _is_ip(name) or name in self.allowed_hosts:
            return True
        return any(h.startswith("*.") and name.endswith(h[1:]) for h in self.allowed_hosts)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)

    def client_address(self, request: web.BaseRequest) -> str:
        """The peer's address; behind a trusted proxy, the nearest untrusted X-Forwarded-For hop."""
        address = request.remote or "unknown"
        if not self.trusted_proxies or not self._trusted(address):
            return address
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _is_ip(hop) else address
        return address


GUARDS = web.AppKey("guards", Guards)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _host_name(host: str) -> str:
    """`example.com:8080` -> `example.com`; `[::1]:8080` -> `::1`."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _printable(value: str, limit: int = 100) -> str:
    """A header value fit for an error message (ASCII, short)."""
    return value.encode("ascii", "replace").decode()[:limit]


@web.middleware
async def host_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """421 for a Host this server is not configured to answer to."""
    host = request.headers.get("Host")
    if host is not None and request.path not in PROBE_PATHS:
        name = _host_name(host.strip())
        if not request.app[GUARDS].host_allowed(name):
            raise ApiError(
                421,
                f"this server does not answer to host '{_printable(name)}'; "
                "add the name to http.allowed_hosts (or POSTPULSE_ALLOWED_HOSTS)",
                "invalid_request_error",
            )
    return await handler(request)


@web.middleware
async def body_timeout_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the whole body up front, within `http.body_timeout_s` (routes then get it from cache).

    Runs after authentication, so an unauthenticated client never makes the server wait for a body.
    """
    if request.body_exists:
        timeout_s = request.app[GUARDS].body_timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                await request.read()
        except TimeoutError:
            log.info("closed a request whose body did not arrive within %gs", timeout_s)
            response = ApiError(
                408,
                f"the request body did not arrive within {timeout_s:g}s (http.body_timeout_s)",
                "invalid_request_error",
            ).response()
            response.force_close()
            return response
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, static files and errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def install_guards(app: web.Application, http: HttpConfig) -> None:
    """The guards' state and the response headers; `create_app` calls it once."""
    app[GUARDS] = Guards.from_config(http)
    app.on_response_prepare.append(security_headers)


class WireLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's per-connection logger (`logger=` of the runner). A request aiohttp's parser refuses
    (a control byte in a header, headers too large) is the client's mistake: one INFO line without
    the exception's text, which quotes the offending header line (an API key, say). Anything else
    passes through unchanged."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            self.logger.info("refused a malformed request: %s %s", exc.code, type(exc).__name__)
            return
        super().log(level, msg, *args, **kwargs)


WIRE_LOG = WireLog(logging.getLogger("aiohttp.server"), {})
