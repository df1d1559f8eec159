"""Role resolution at the Slack edge (adapters.slack.roles), against the fake Web API: workspace
admins and owners from users.info, reviewers from the config and the reviewer user group, answers
cached (tested with a clock), a failed lookup granting nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.roles import SlackRoles
from bot.config import RolesConfig
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.users["U0OWNER"] = {"is_owner": True}
        slack.users["U0ADMIN"] = {"is_admin": True}
        slack.usergroups["S0REVIEW"] = ["U0BOB", "U0CAROL"]
        yield slack


def roles_for(fake: FakeSlack, clock: Clock, **config: object) -> SlackRoles:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    return SlackRoles(client, RolesConfig.model_validate(config), ttl_s=300, clock=clock)


async def test_admins_from_users_info_and_config_reviewers_from_group_and_config(fake: FakeSlack) -> None:
    roles = roles_for(
        fake, Clock(), slack_admins=["U0CONF"], slack_reviewers=["U0DAVE"], slack_reviewer_group="S0REVIEW"
    )
    assert await roles.of("U0OWNER") == {"admin"}
    assert await roles.of("U0ADMIN") == {"admin"}
    assert await roles.of("U0CONF") == {"admin"}
    assert await roles.of("U0BOB") == {"reviewer"}
    assert await roles.of("U0DAVE") == {"reviewer"}
    assert await roles.of("U0ALICE") == frozenset()
    assert roles.reviewer_mentions() == ["<!subteam^S0REVIEW>"]
    asked = [c.args["user"] for c in fake.calls_to("users.info")]
    assert "U0OWNER" in asked and "U0ALICE" in asked
    assert [c.args["usergroup"] for c in fake.calls_to("usergroups.users.list")] == ["S0REVIEW"]


async def test_answers_are_cached_until_the_ttl_passes(fake: FakeSlack) -> None:
    clock = Clock()
    roles = roles_for(fake, clock, slack_reviewer_group="S0REVIEW")
    for _ in range(3):
        assert await roles.of("U0BOB") == {"reviewer"}
    assert len(fake.calls_to("users.info")) == 1 and len(fake.calls_to("usergroups.users.list")) == 1
    fake.usergroups["S0REVIEW"] = ["U0CAROL"]  # Bob leaves the group
    fake.users["U0BOB"] = {"is_admin": True}  # and becomes an admin
    clock.now += 299
    assert await roles.of("U0BOB") == {"reviewer"}, "still cached"
    clock.now += 2
    assert await roles.of("U0BOB") == {"admin"}
    assert len(fake.calls_to("users.info")) == 2 and len(fake.calls_to("usergroups.users.list")) == 2


async def test_a_failed_lookup_grants_nothing_but_the_configured_ids_still_count(fake: FakeSlack) -> None:
    roles = roles_for(fake, Clock(), slack_reviewers=["U0DAVE"], slack_reviewer_group="S0GONE")
    assert await roles.of("U0BOB") == frozenset()  # no_such_subteam
    assert await roles.of("U0DAVE") == {"reviewer"}
    assert fake.calls_to("usergroups.users.list", ok_only=False)[0].error == "no_such_subteam"
    assert roles_for(fake, Clock(), slack_reviewers=["U0DAVE"]).reviewer_mentions() == ["<@U0DAVE>"]
