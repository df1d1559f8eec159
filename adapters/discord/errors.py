"""The Discord front door's own errors (the bot core's and the engine's pass through to the user as
plain words via bot.messages.user_message)."""

from __future__ import annotations


class DiscordAdapterError(Exception):
    """Base of the errors this package raises on purpose."""


class DiscordSetupError(DiscordAdapterError):
    """The environment or config cannot start the bot (missing token, bad URL); says which variable."""
