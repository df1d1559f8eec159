"""The adapters' one error tree. The bot's (bot.errors) and the engine's (engine.errors) pass
through to the user in plain words (bot.messages.user_message); these are the front doors' own.

Handler order: SetupError, then AdapterError. The CLI exits 2 on a SetupError, as on a bad config.
"""

from __future__ import annotations


class AdapterError(Exception):
    """Base of every error a front door raises on purpose."""


class SetupError(AdapterError):
    """A front door cannot start with this environment or config (a missing token, a malformed URL,
    Slack without a way to receive events); the message names the variable or key."""
