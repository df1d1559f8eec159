"""configs/slack-manifest.yaml agrees with what the adapter serves, and `postpulse serve` mounts Slack."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.runtime import FRONT_DOORS
from adapters.slack import mount
from adapters.slack.transport import EVENTS_PATH
from bot.config import AppConfig

MANIFEST = Path(__file__).resolve().parents[3] / "configs" / "slack-manifest.yaml"


def test_manifest_matches_the_adapter(app_config: AppConfig) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == app_config.slack.command
    assert command["usage_hint"] and len(command["usage_hint"]) <= 100
    settings = manifest["settings"]
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "app_mentions:read", "im:history"} <= scopes
    assert {"users:read", "usergroups:read"} <= scopes, "roles: users.info and usergroups.users.list"


def test_serve_mounts_slack_when_its_credentials_are_set() -> None:
    (slack,) = [door for door in FRONT_DOORS if door.name == "slack"]
    assert slack.env_vars == ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    assert slack.mount is mount
