"""Who a Slack user is to PostPulse: admin (brand kits) and reviewer (approvals), per `roles:`.

Admins are the workspace's admins and owners (`users.info`) plus `roles.slack_admins`; reviewers are
`roles.slack_reviewers` plus the members of `roles.slack_reviewer_group` (`usergroups.users.list`).
Answers are cached for `ttl_s`, so a burst of clicks costs one Web API call, and a promotion or a
removal shows within minutes. A failed lookup (a missing scope, Slack down) grants nothing: the
configured ids still count, and the user is told in plain words what they cannot do.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import RolesConfig
from bot.records import Origin, Role

log = logging.getLogger(__name__)


def _error(exc: SlackApiError) -> object:
    data = getattr(exc.response, "data", None)
    return data.get("error") if isinstance(data, dict) else getattr(exc.response, "status_code", "?")


TTL_S = 300.0


class SlackRoles:
    def __init__(
        self,
        client: AsyncWebClient,
        config: RolesConfig,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.config = config
        self.ttl_s = ttl_s
        self.clock = clock
        self._admins: dict[str, tuple[float, bool]] = {}  # user id -> (fetched at, workspace admin)
        self._group: tuple[float, frozenset[str]] | None = None

    async def of(self, user_id: str) -> frozenset[Role]:
        roles: set[Role] = set()
        if user_id in self.config.slack_admins or await self._workspace_admin(user_id):
            roles.add("admin")
        if user_id in self.config.slack_reviewers or user_id in await self.group_members():
            roles.add("reviewer")
        return frozenset(roles)

    async def attach(self, origin: Origin) -> Origin:
        """The same origin, with the roles its user holds now."""
        return dataclasses.replace(origin, roles=await self.of(origin.user_id))

    def reviewer_mentions(self) -> list[str]:
        """Who "Send for review" pings: the reviewer group as one mention, else each reviewer."""
        if self.config.slack_reviewer_group:
            return [f"<!subteam^{self.config.slack_reviewer_group}>"]
        return [f"<@{user}>" for user in self.config.slack_reviewers]

    async def _workspace_admin(self, user_id: str) -> bool:
        cached = self._admins.get(user_id)
        if cached is not None and self.clock() - cached[0] < self.ttl_s:
            return cached[1]
        try:
            answer = await self.client.users_info(user=user_id)
            user = answer.get("user") or {}
            admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s (no admin role)", user_id, _error(exc))
            admin = False
        self._admins[user_id] = (self.clock(), admin)
        return admin

    async def group_members(self) -> frozenset[str]:
        group = self.config.slack_reviewer_group
        if not group:
            return frozenset()
        if self._group is not None and self.clock() - self._group[0] < self.ttl_s:
            return self._group[1]
        try:
            answer = await self.client.usergroups_users_list(usergroup=group)
            members = frozenset(str(u) for u in answer.get("users") or [])
        except SlackApiError as exc:
            log.warning("usergroups.users.list failed for %s: %s", group, _error(exc))
            members = frozenset()
        self._group = (self.clock(), members)
        return members
