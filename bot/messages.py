"""Plain words for every error a front door shows a person (Slack, Discord, console, playground).

Never a traceback, never an exception's own text unless it was written for users (the bot's and the
engine's InvalidRequest messages are); anything unexpected is "generation failed — please try again".
"""

from __future__ import annotations

import math

from bot.errors import (
    BrandNotFound,
    DraftNotFound,
    DuplicateDelivery,
    InvalidOption,
    NotAllowed,
    RateLimited,
    ReviewConflict,
    StoreError,
)
from engine.errors import (
    EngineDead,
    EngineNotReady,
    EngineOverloaded,
    EngineTimeout,
    InvalidRequest,
)

GENERATION_FAILED = "generation failed — please try again"


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _invalid(exc: InvalidRequest) -> str:
    value = getattr(exc, "value", None)
    if isinstance(exc, InvalidOption) and exc.suggestion and value and exc.field:
        kind = "option" if exc.field == "option" else exc.field
        allowed = f" Valid {kind}s: {', '.join(exc.allowed)}." if exc.allowed else ""
        return f"unknown {kind} '{value}' — did you mean {exc.suggestion}?{allowed}"
    return str(exc)


def user_message(exc: BaseException) -> str:
    """The text to show for `exc`."""
    if isinstance(exc, DuplicateDelivery):
        return "already on it — this request was received before"
    if isinstance(exc, RateLimited):
        return f"slow down — you can ask for another draft in {_seconds(exc.retry_after_s)} s"
    if isinstance(exc, InvalidRequest):
        return _invalid(exc)
    if isinstance(exc, EngineOverloaded):
        return f"busy — try again in {_seconds(exc.retry_after_s)} s"
    if isinstance(exc, EngineNotReady):
        return "still starting up — try again in a few seconds"
    if isinstance(exc, DraftNotFound):
        return "that draft no longer exists"
    if isinstance(exc, ReviewConflict | NotAllowed | BrandNotFound):
        return str(exc)  # written for users: the state and what it allows, or who may
    if isinstance(exc, EngineTimeout):
        return "that took too long — please try again, perhaps with length:short"
    if isinstance(exc, EngineDead):
        return "PostPulse's writer has stopped — ask an admin to restart it"
    if isinstance(exc, StoreError):
        return "PostPulse cannot reach its drafts store right now — please try again later"
    return GENERATION_FAILED
