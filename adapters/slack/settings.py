"""Slack settings: secrets from the environment, tuning from the config file's `slack:` section
(bot.config.SlackConfig, validated with the rest of the config at start-up).

The tokens are kept out of `repr` so a settings object that reaches a log line or a traceback never
shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters.errors import SetupError
from bot.config import AppConfig, RolesConfig, SlackConfig

BOT_TOKEN_ENV = "SLACK_BOT_TOKEN"
SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
APP_TOKEN_ENV = "SLACK_APP_TOKEN"
API_URL_ENV = "SLACK_API_URL"
REQUIRED_ENV = (BOT_TOKEN_ENV, SIGNING_SECRET_ENV)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None  # Web API base, e.g. http://127.0.0.1:PORT/api/ in tests
    tuning: SlackConfig = field(default_factory=SlackConfig)
    roles: RolesConfig = field(default_factory=RolesConfig)  # admins and reviewers (adapters.slack.roles)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str], config: AppConfig | None = None) -> SlackSettings:
        missing = [name for name in REQUIRED_ENV if not env.get(name)]
        if missing:
            raise SetupError(f"Slack needs {' and '.join(missing)} in the environment")
        api_url = env.get(API_URL_ENV) or None
        if api_url and not api_url.endswith("/"):
            api_url += "/"  # slack_sdk appends the method name to the base URL
        return cls(
            bot_token=env[BOT_TOKEN_ENV],
            signing_secret=env[SIGNING_SECRET_ENV],
            app_token=env.get(APP_TOKEN_ENV) or None,
            api_url=api_url,
            tuning=config.slack if config is not None else SlackConfig(),
            roles=config.roles if config is not None else RolesConfig(),
        )
