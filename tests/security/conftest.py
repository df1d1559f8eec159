"""The front doors' own harnesses, shared with the security suite (imported, so built one way)."""

from tests.adapters.slack.conftest import slack, slack_config  # noqa: F401
