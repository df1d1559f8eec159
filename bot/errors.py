"""The bot core's error tree. Engine errors (engine.errors) pass through unchanged.

Handler order for adapters: RateLimited, InvalidOption (also an engine InvalidRequest, so handlers
written for the engine's tree still catch it), DraftNotFound, then BotError.
"""

from __future__ import annotations

from engine.errors import InvalidRequest


class BotError(Exception):
    """Base of every error the bot core raises on purpose."""


class RateLimited(BotError):
    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DraftNotFound(BotError):
    """A draft id that the store does not know (expired or never existed)."""


class InvalidOption(BotError, InvalidRequest):
    """A brief field or command option is invalid: `field`, `allowed` and `suggestion` say what would do."""
