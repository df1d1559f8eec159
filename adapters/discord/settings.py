"""The Discord front door's environment: the token and the URLs a test or a proxy points elsewhere.

discord.py has no per-client option for its REST base or gateway URL; both are class attributes
(`discord.http.Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`), so pointing them elsewhere is
process-wide. One bot per process is how PostPulse runs Discord, so that is enough.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.errors import SetupError

TOKEN_ENV = "DISCORD_BOT_TOKEN"
API_BASE_ENV = "DISCORD_API_BASE"
GATEWAY_ENV = "DISCORD_GATEWAY_URL"
APPLICATION_ID_ENV = "DISCORD_APPLICATION_ID"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"


@dataclass(frozen=True)
class DiscordEnv:
    token: str
    api_base: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY
    application_id: int | None = None

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"DiscordEnv(api_base={self.api_base!r}, gateway_url={self.gateway_url!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordEnv:
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            raise SetupError(f"{TOKEN_ENV} is not set")
        api_base = env.get(API_BASE_ENV) or DEFAULT_API_BASE
        gateway = env.get(GATEWAY_ENV) or DEFAULT_GATEWAY
        for var, url, schemes in (
            (API_BASE_ENV, api_base, ("http", "https")),
            (GATEWAY_ENV, gateway, ("ws", "wss")),
        ):
            if yarl.URL(url).scheme not in schemes or not yarl.URL(url).host:
                raise SetupError(f"{var} must be a {' or '.join(schemes)} URL (got {url!r})")
        return cls(token, api_base.rstrip("/"), gateway, application_id_from(env))

    def point_discord_py_here(self) -> None:
        """Make discord.py's REST and gateway use these URLs (see the module docstring)."""
        Route.BASE = self.api_base  # type: ignore[misc]
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)  # type: ignore[misc]


def application_id_from(env: Mapping[str, str]) -> int | None:
    """DISCORD_APPLICATION_ID, else the id a bot token starts with (its first part is the bot's
    user id in base64, which is the application id)."""
    raw = env.get(APPLICATION_ID_ENV, "").strip()
    if raw:
        if not raw.isdigit():
            raise SetupError(f"{APPLICATION_ID_ENV} must be a number (got {raw!r})")
        return int(raw)
    head = env.get(TOKEN_ENV, "").strip().split(".")[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None
