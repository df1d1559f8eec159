"""Engine and bot errors -> HTTP status + JSON `{"error": {"message", "type", "param"}}`.

One table, in handler order (specific classes before their bases), so every route and the SSE
streams report the same error the same way. Unexpected exceptions become a JSON 500 that names no
internals; the traceback goes to the log only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from adapters.errors import AdapterError
from bot.errors import BrandNotFound, NotAllowed, RateLimited, ReviewConflict
from engine.errors import (
    EngineDead,
    EngineError,
    EngineNotReady,
    EngineOverloaded,
    EngineTimeout,
    InvalidRequest,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NOT_READY_RETRY_S = 5


@dataclass(eq=False)
class ApiError(AdapterError):
    """An error the HTTP layer answers with; raise it from a handler or build it with `from_exception`."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param}}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _invalid(exc: InvalidRequest) -> ApiError:
    message = exc.message
    if exc.allowed and "allowed" not in message.lower() and "valid " not in message.lower():
        message += f" Allowed: {', '.join(exc.allowed)}."
    return ApiError(422, message, "invalid_request_error", exc.field)


def from_exception(exc: BaseException) -> ApiError:
    """The response for any exception a route lets escape (the mapping table)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidRequest):
        return _invalid(exc)
    if isinstance(exc, ReviewConflict):
        return ApiError(409, str(exc), "conflict_error", "state")
    if isinstance(exc, NotAllowed):
        return ApiError(403, str(exc), "permission_error", None)
    if isinstance(exc, EngineOverloaded):
        return ApiError(429, str(exc), "overloaded_error", None, _retry_after(exc.retry_after_s))
    if isinstance(exc, NotAllowed):  # its message is written for the caller
        return ApiError(403, str(exc), "permission_error", exc.role)
    if isinstance(exc, BrandNotFound):
        return ApiError(404, str(exc), "not_found_error", "brand")
    if isinstance(exc, RateLimited):
        return ApiError(429, str(exc), "rate_limit_error", None, _retry_after(exc.retry_after_s))
    if isinstance(exc, EngineNotReady):
        return ApiError(503, str(exc), "not_ready_error", None, _retry_after(NOT_READY_RETRY_S))
    if isinstance(exc, EngineDead):
        return ApiError(503, "the engine is unavailable; the service needs a restart", "engine_dead_error")
    if isinstance(exc, EngineTimeout):
        return ApiError(504, "generation took longer than the server's time limit", "timeout_error")
    if isinstance(exc, web.HTTPException):
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        kind = "invalid_request_error" if exc.status < 500 else "server_error"
        if exc.status == 404:
            kind = "not_found_error"
        return ApiError(exc.status, exc.reason, kind, None, headers)
    if isinstance(exc, EngineError):
        log.error("engine error: %s", exc)
    else:
        log.error("unhandled error", exc_info=exc)
    return ApiError(500, "internal server error; the details are in the server log", "server_error")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as JSON; a response already streaming is left to its handler."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and the like pass through untouched
            raise
        return from_exception(exc).response()
    except Exception as exc:
        return from_exception(exc).response()
    return response
