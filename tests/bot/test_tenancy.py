"""bot.tenancy: the one mapping from an Origin to the team that owns its drafts."""

from __future__ import annotations

import pytest

from bot.brands import BrandConfig, BrandRouter, api_key_id
from bot.records import Origin
from bot.tenancy import DEFAULT_TENANT, Tenancy

ACME_KEY, PLAIN_KEY, OTHER_KEY = api_key_id("acme-1"), api_key_id("plain-1"), api_key_id("plain-2")


@pytest.fixture(scope="module")
def tenancy() -> Tenancy:
    brands = {"acme": BrandConfig(api_keys_env="ACME_KEYS", slack_workspaces=["TACME"])}
    router = BrandRouter(brands, env={"ACME_KEYS": "acme-1, acme-2"})
    return Tenancy(router.key_brands())


@pytest.mark.parametrize(
    ("origin", "tenant"),
    [
        (Origin("slack", "U1", "T0ACME", "C1"), "slack:T0ACME"),
        (Origin("slack", "U1", "TACME", "C1"), "slack:TACME"),  # a brand's workspace stays its own team
        (Origin("discord", "42", "81234", "9"), "discord:81234"),
        (Origin("discord", "42", None, "dm"), "discord:user:42"),  # a DM is its user's alone
        (Origin("http", ACME_KEY, ACME_KEY), "brand:acme"),
        (Origin("http", api_key_id("acme-2"), api_key_id("acme-2")), "brand:acme"),  # the brand's keys share
        (Origin("http", PLAIN_KEY, PLAIN_KEY), PLAIN_KEY),
        (Origin("http", OTHER_KEY, OTHER_KEY), OTHER_KEY),  # two unmapped keys, two teams
        (Origin("http", "addr:127.0.0.1"), DEFAULT_TENANT),  # keys off
        (Origin("playground", "me"), DEFAULT_TENANT),
        (Origin("console", "me", channel_id="terminal"), DEFAULT_TENANT),
    ],
)
def test_every_front_door_maps_to_one_tenant(tenancy: Tenancy, origin: Origin, tenant: str) -> None:
    assert tenancy.of(origin) == tenant


def test_tenants_of_different_kinds_never_collide(tenancy: Tenancy) -> None:
    """A Slack team, a guild and a key with the same raw id are three teams."""
    same = "12345"
    tenants = {
        tenancy.of(Origin("slack", "u", same)),
        tenancy.of(Origin("discord", "u", same)),
        tenancy.of(Origin("discord", same, None)),
        tenancy.of(Origin("slack", same, None)),
    }
    assert len(tenants) == 4
