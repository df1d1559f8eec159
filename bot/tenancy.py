"""Which team a draft belongs to: the one place an `Origin` becomes a tenant.

Every draft is stored with its tenant, and everything hanging off a draft (variants, ratings, picks,
remixes) reaches it through the draft. Every read and action looks a draft up by id *and* tenant
(bot.store.drafts), so another team's draft answers exactly like an id that never existed.

The mapping, decided once here:

    Slack      slack:<team id>           the workspace (a payload for another team is refused
                                         before it gets here: adapters/slack/app.py)
    Discord    discord:<guild id>        the guild; a DM belongs to its user alone:
               discord:user:<user id>
    HTTP key   brand:<name>              a key listed under a brand in `brands:` (bot.brands), so
                                         the brand's keys share drafts;
               key:<hash of the key>     any other key: its own team (two keys, two teams)
    local      default                   HTTP without keys, the playground, `postpulse chat` and
                                         `postpulse generate`: one person's machine

A Slack workspace or Discord guild that a brand also serves stays its own tenant: a brand decides
which adapter writes, not who may read. A draft keeps the tenant it was made under; mapping a key to
a brand later does not move the key's older drafts (the migration that introduced tenants assigned
existing drafts with the brands configured when it ran).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.records import DEFAULT_TENANT, Origin

__all__ = ["DEFAULT_TENANT", "Tenancy", "key_tenant"]


def key_tenant(brand: str) -> str:
    return f"brand:{brand}"


class Tenancy:
    """Origin -> tenant. `key_brands` maps an API key's id (bot.brands.api_key_id) to its brand."""

    def __init__(self, key_brands: Mapping[str, str] | None = None) -> None:
        self.key_tenants: dict[str, str] = {
            key: key_tenant(brand) for key, brand in (key_brands or {}).items()
        }

    def of(self, origin: Origin) -> str:
        workspace = origin.workspace_id
        if origin.front_door in ("slack", "discord"):
            return (
                f"{origin.front_door}:{workspace}"
                if workspace
                else f"{origin.front_door}:user:{origin.user_id}"
            )
        if origin.front_door == "http" and workspace:  # an API key's id; None when keys are off
            return self.key_tenants.get(workspace, workspace)
        return DEFAULT_TENANT
