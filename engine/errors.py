"""The engine's one error tree.

Adapters map these to their front door (HTTP status, ephemeral message). Handler order matters:
catch the specific classes before `EngineError`.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(EngineError):
    """A configuration file or value is invalid; the message names the file and key."""


class ModelLoadError(EngineError):
    """The model, tokenizer or adapter could not be loaded; the message says how to fix it."""


class InvalidRequest(EngineError):
    """A caller's request is invalid. `field` names the offending field, `allowed` what would do."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: Sequence[str] | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.allowed = list(allowed) if allowed is not None else None
        self.suggestion = suggestion

    @property
    def message(self) -> str:
        return str(self)


class EngineOverloaded(EngineError):
    """The request queue is full; retry after `retry_after_s` seconds."""

    def __init__(self, message: str, *, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class EngineTimeout(EngineError):
    """A request ran past its deadline and was removed from the batch."""


class EngineDead(EngineError):
    """The engine cannot continue (e.g. out of memory); every pending and new request fails."""


class EngineNotReady(EngineError):
    """The engine has not finished starting (model still loading)."""


class EngineUnavailable(EngineNotReady):
    """The model server cannot answer right now: unreachable, restarting, gone mid-request, or it sent
    something unreadable. Front doors treat it like EngineNotReady (retry shortly) with this message."""

    def __init__(self, message: str, *, retry_after_s: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
