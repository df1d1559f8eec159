"""The interactions a test sends through the fake Discord (tests/fakes/discord_api.py): slash
commands, autocomplete, button and select clicks, modal submissions, direct messages, each with a live
token. A member holds no role and every permission unless `roles`/`permissions` say otherwise."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_payloads import (
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CALLBACK_MODAL,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Guild,
    Json,
    Token,
    interaction_payload,
    snowflake,
    user_payload,
)


@dataclass(frozen=True)
class ChannelRef:
    """A channel chosen in a channel option."""

    id: str
    name: str = "marketing-review"


class InteractionsMixin:
    application_id: str
    callbacks: list[Any]
    guilds: list[Guild]
    tokens: dict[str, Token]
    commands: dict[str | None, list[Json]]
    gateway: FakeGateway

    def command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        guild: Guild | None = None,
        channel_id: str | None = None,
        user_id: str = "2200000000000000001",
        focused: str | None = None,
        roles: list[str] | None = None,
        permissions: int = ALL_PERMISSIONS,
    ) -> Json:
        """An APPLICATION_COMMAND interaction (or AUTOCOMPLETE when `focused` names an option). A
        `ChannelRef` value is a channel option, sent with its resolved channel as Discord does."""
        typed = {bool: 5, int: 4, float: 10, str: 3, ChannelRef: 7}
        opts = [
            {
                "name": k,
                "type": typed[type(v)],
                "value": v.id if isinstance(v, ChannelRef) else v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in (options or {}).items()
        ]
        data: Json = {"id": self._command_id(name), "name": name, "type": 1, "options": opts}
        channels = {v.id: v for v in (options or {}).values() if isinstance(v, ChannelRef)}
        if channels:
            data["resolved"] = {
                "channels": {
                    cid: {"id": cid, "type": 0, "name": ref.name, "permissions": str(ALL_PERMISSIONS)}
                    for cid, ref in channels.items()
                }
            }
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        return self._interaction(
            kind,
            data,
            guild=guild,
            channel_id=channel_id,
            user_id=user_id,
            roles=roles,
            permissions=permissions,
        )

    def click(
        self,
        message: Json,
        custom_id: str,
        *,
        values: list[str] | None = None,
        user_id: str = "2200000000000000001",
        roles: list[str] | None = None,
        permissions: int = ALL_PERMISSIONS,
    ) -> Json:
        """A MESSAGE_COMPONENT interaction on `message` (a button, or a select when `values` is given)."""
        data: Json = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            data["values"] = values
        guild = next((g for g in self.guilds if g.id == message.get("guild_id")), None)
        return self._interaction(
            MESSAGE_COMPONENT,
            data,
            guild=guild,
            channel_id=message["channel_id"],
            user_id=user_id,
            message=message,
            roles=roles,
            permissions=permissions,
        )

    def modal_for(self, interaction: Json) -> Json:
        """The modal an interaction was answered with (its callback's data: custom_id, title, components)."""
        for callback in self.callbacks:
            if callback.interaction_id == interaction["id"] and callback.type == CALLBACK_MODAL:
                return dict(callback.data)
        raise AssertionError("that interaction was not answered with a modal")

    def submit_modal(self, opened_by: Json, values: dict[str, str]) -> Json:
        """The MODAL_SUBMIT of the modal `opened_by` got: `values` maps its text inputs' custom ids (in
        the order shown) to what was typed. Same member, channel and message as the opening click."""
        modal = self.modal_for(opened_by)
        inputs = [c for row in modal["components"] for c in row.get("components", [row.get("component")])]
        rows = [
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": c["custom_id"], "value": values[c["custom_id"]]}],
            }
            for c in inputs
            if c and c.get("custom_id") in values
        ]
        member = opened_by["member"]
        guild = next(g for g in self.guilds if g.id == opened_by["guild_id"])
        return self._interaction(
            MODAL_SUBMIT,
            {"custom_id": modal["custom_id"], "components": rows},
            guild=guild,
            channel_id=opened_by["channel_id"],
            user_id=member["user"]["id"],
            message=opened_by.get("message"),
            roles=member["roles"],
            permissions=int(member["permissions"]),
        )

    def direct_message(
        self, name: str, options: dict[str, Any], user_id: str = "2200000000000000002"
    ) -> Json:
        payload = self.command(name, options, user_id=user_id)
        dm = snowflake()
        payload.pop("guild_id")
        member = payload.pop("member")
        payload.update(
            user=member["user"],
            channel_id=dm,
            context=1,
            channel={"id": dm, "type": 1, "recipients": [member["user"]]},
        )
        self.tokens[payload["token"]].channel_id = dm
        return payload

    async def send_interaction(self, payload: Json) -> None:
        """Dispatch INTERACTION_CREATE on the shard that holds the interaction's guild."""
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))

    def _command_id(self, name: str) -> str:
        for commands in self.commands.values():
            for cmd in commands:
                if cmd["name"] == name:
                    return str(cmd["id"])
        return snowflake()

    def _interaction(
        self,
        kind: int,
        data: Json,
        *,
        guild: Guild | None,
        channel_id: str | None,
        user_id: str,
        message: Json | None = None,
        roles: list[str] | None = None,
        permissions: int = ALL_PERMISSIONS,
    ) -> Json:
        guild = guild or self.guilds[0]
        channel_id = channel_id or guild.channel_ids[0]
        interaction_id, token = snowflake(), "itok-" + secrets.token_urlsafe(24)
        self.tokens[token] = Token(
            interaction_id, channel_id, time.time(), message_id=message["id"] if message else None
        )
        payload = interaction_payload(
            self.application_id,
            interaction_id,
            token,
            kind,
            data,
            guild,
            channel_id,
            user_payload(user_id, f"user{user_id[-3:]}"),
            roles=roles,
            permissions=permissions,
        )
        if message is not None:
            payload["message"] = message
        return payload
