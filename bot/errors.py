"""The bot core's error tree. Engine errors (engine.errors) pass through unchanged.

Handler order for adapters: DuplicateDelivery, RateLimited, InvalidOption (also an engine
InvalidRequest, so handlers written for the engine's tree still catch it), DraftNotFound,
ReviewConflict, NotAllowed, BrandNotFound, LinkError (an InvalidOption), then BotError.
`bot.messages.user_message(exc)` gives the plain words for any of them. ConfigError is also the
engine's ConfigError, for the same reason: one `isinstance` check (the CLI's exit code 2) covers a
bad `model:` key and a bad `brands:` key alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.errors import ConfigError as EngineConfigError
from engine.errors import InvalidRequest


class BotError(Exception):
    """Base of every error the bot core raises on purpose."""


class ConfigError(BotError, EngineConfigError):
    """The app config (or the environment it reads) is invalid; the message names the file or key."""


class RateLimited(BotError):
    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DraftNotFound(BotError):
    """A draft id that the store does not know (expired or never existed)."""


class BrandNotFound(BotError):
    """A brand the caller does not belong to answers like one that does not exist."""


class DuplicateDelivery(BotError):
    """A delivery id already processed (a platform retry, possibly landing on another replica):
    acknowledge it and start nothing."""


class StoreError(BotError):
    """The drafts store cannot be opened or migrated; the message says which database and why."""


class InvalidOption(BotError, InvalidRequest):
    """A brief field or command option is invalid: `field`, `allowed` and `suggestion` say what would
    do; `value` is what the user typed (for "unknown tone 'casul' — did you mean casual?")."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: Sequence[str] | None = None,
        suggestion: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message, field=field, allowed=allowed, suggestion=suggestion)
        self.value = value


class ReviewConflict(BotError):
    """A review transition the draft's state does not allow (approving twice, editing an approved
    draft). `state` is the draft's state now; `allowed` the actions it allows. HTTP 409."""

    def __init__(self, message: str, *, state: str, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = tuple(allowed)


class NotAllowed(BotError):
    """The person lacks the role an action needs (`role`: "reviewer", "admin"); the message says
    who can and whom to ask. HTTP 403."""

    def __init__(self, message: str, *, role: str) -> None:
        super().__init__(message)
        self.role = role


class LinkError(InvalidOption):
    """A link (`url:`) that cannot become a brief. The address is the client's choice, so each case is
    a client error in plain words (an InvalidOption on field `url`: HTTP answers 4xx, chat shows the
    message), never a 5xx. Subclasses say which: refused, unreachable, timed out, not a web page, too
    large, nothing readable. The message never carries the page's content."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message, field="url", value=url)


class LinkRefused(LinkError):
    """The link (or a redirect it led to) points at a private, loopback, link-local, multicast, reserved
    or cloud-metadata address, or uses a scheme other than http/https."""


class LinkUnreachable(LinkError):
    """The site could not be reached, answered with an error status, or redirected too often."""


class LinkTimedOut(LinkError):
    """The page did not arrive within links.timeout_s."""


class NotAWebPage(LinkError):
    """The link answers with something other than HTML (a PDF, an image, JSON)."""


class PageTooLarge(LinkError):
    """The page is larger than links.max_bytes."""


class NothingReadable(LinkError):
    """The page is HTML but has no main text to write from (a login wall, an app shell, an empty page)."""
