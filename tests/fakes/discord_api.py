"""A loopback fake of Discord: the REST API (v10) and the gateway websocket, enough for discord.py 2.x.

It answers like Discord for what PostPulse's bot uses (login, application info, command sync,
interaction callbacks, webhook edits and follow-ups, channel messages), and records every call, so
tests can drive the real discord.py client over 127.0.0.1 and check what it sent.

Gateway: HELLO on connect; IDENTIFY -> READY (+ GUILD_CREATE for each guild on that shard); heartbeats
are ACKed and counted; RESUME -> RESUMED. Tests push INTERACTION_CREATE with `send_interaction`.
Interaction tokens expire `token_lifetime_s` after the interaction (15 minutes, as on Discord); a
webhook call with an expired token gets Discord's 401 "Invalid Webhook Token" (code 50027).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_interactions import InteractionsMixin
from tests.fakes.discord_payloads import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CALLBACK_DEFERRED,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_UPDATE,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    TOKEN_LIFETIME_S,
    Guild,
    Json,
    Token,
    application_payload,
    iso,
    message_payload,
    snowflake,
    user_payload,
)

__all__ = [
    "APPLICATION_COMMAND",
    "AUTOCOMPLETE",
    "CALLBACK_DEFERRED",
    "CALLBACK_DEFERRED_UPDATE",
    "CALLBACK_MESSAGE",
    "CALLBACK_UPDATE",
    "FLAG_EPHEMERAL",
    "Call",
    "Callback",
    "FakeDiscord",
    "Guild",
    "Json",
]


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float  # time.monotonic()
    status: int = 200


@dataclass
class Callback:
    """One interaction response (POST /interactions/{id}/{token}/callback)."""

    interaction_id: str
    type: int
    data: Json
    at: float  # time.monotonic()


class FakeDiscord(InteractionsMixin):
    def __init__(
        self,
        *,
        application_id: str = "1100000000000000001",
        bot_token: str = "fake-bot-token",
        guilds: list[Guild] | None = None,
        heartbeat_interval_ms: int = 41250,
        token_lifetime_s: float = TOKEN_LIFETIME_S,
    ) -> None:
        self.application_id = application_id
        self.bot_token = bot_token
        self.bot_user: Json = user_payload(application_id, "PostPulse", bot=True)
        self.guilds = guilds if guilds is not None else [Guild(snowflake(), "Test Guild", [snowflake()])]
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token_lifetime_s = token_lifetime_s
        self.calls: list[Call] = []
        self.callbacks: list[Callback] = []
        self.commands: dict[str | None, list[Json]] = {}  # guild id (None: global) -> synced commands
        self.messages: dict[str, Json] = {}
        self.deleted: set[str] = set()
        self.message_token: dict[str, str] = {}  # message id -> the interaction token that created it
        self.tokens: dict[str, Token] = {}
        self.gateway = FakeGateway(
            bot_token=bot_token,
            bot_user=self.bot_user,
            application_id=application_id,
            guilds=self.guilds,
            heartbeat_interval_ms=heartbeat_interval_ms,
            url=lambda: self.gateway_url,
            notify=self._notify,
        )
        self.failures: list[tuple[re.Pattern[str], str, int, Json]] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self.gateway.handle)
        api = "/api/v10"
        app.router.add_get(api + "/users/@me", self._me)
        app.router.add_get(api + "/oauth2/applications/@me", self._application)
        app.router.add_get(api + "/gateway", self._gateway_info)
        app.router.add_get(api + "/gateway/bot", self._gateway_info)
        app.router.add_put(api + "/applications/{app}/commands", self._sync)
        app.router.add_put(api + "/applications/{app}/guilds/{guild}/commands", self._sync)
        app.router.add_post(api + "/interactions/{id}/{token}/callback", self._callback)
        hook = api + "/webhooks/{app}/{token}"
        app.router.add_post(hook, self._followup)
        app.router.add_route("*", hook + "/messages/{message}", self._webhook_message)
        app.router.add_post(api + "/channels/{channel}/messages", self._channel_message)
        app.router.add_patch(api + "/channels/{channel}/messages/{message}", self._channel_edit)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for conn in list(self.gateway.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        """The environment a PostPulse process needs to talk to this fake."""
        return {
            "DISCORD_BOT_TOKEN": self.bot_token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_APPLICATION_ID": self.application_id,
        }

    # ---- test controls ----

    def fail_next(self, method: str, path_pattern: str, status: int, body: Json) -> None:
        """Answer the next request matching `METHOD path-regex` with `status` and `body`."""
        self.failures.append((re.compile(path_pattern), method.upper(), status, body))

    def seed_message(self, channel_id: str, content: str, custom_ids: list[str]) -> Json:
        """A message already in a channel (sent by the bot earlier), with buttons carrying `custom_ids`."""
        buttons = [{"type": 2, "style": 2, "label": c.split(":")[1], "custom_id": c} for c in custom_ids]
        rows = [{"type": 1, "components": buttons[i : i + 5]} for i in range(0, len(buttons), 5)]
        return self._new_message(channel_id, {"content": content, "components": rows}, flags=0)

    def expire(self, token: str) -> None:
        self.tokens[token].created -= self.token_lifetime_s + 1

    def backdate(self, message_id: str, seconds: float) -> Json:
        """Make a message `seconds` older: a new id with the old timestamp (ids carry the time)."""
        message = self.messages.pop(message_id)
        at = time.time() - seconds
        message["id"] = snowflake(at)
        message["timestamp"] = iso(at)
        self.messages[message["id"]] = message
        if message_id in self.message_token:
            self.message_token[message["id"]] = self.message_token.pop(message_id)
        for token in self.tokens.values():
            if token.message_id == message_id:
                token.message_id = message["id"]
                token.created -= seconds
        return message

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked after each recorded call) and return it."""
        async with self._changed:
            try:
                return await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                raise AssertionError(f"the fake Discord never saw that within {timeout:.0f}s") from None

    def webhook_calls(self, token: str, method: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if f"/webhooks/{self.application_id}/{token}" in c.path and (method is None or c.method == method)
        ]

    def callbacks_for(self, interaction: Json) -> list[Callback]:
        return [c for c in self.callbacks if c.interaction_id == interaction["id"]]

    def original(self, interaction: Json) -> Json | None:
        """The message an interaction's response created or edits (None before there is one)."""
        token = self.tokens.get(interaction["token"])
        return self.messages.get(token.message_id) if token and token.message_id else None

    def messages_for(self, interaction: Json, *, ephemeral: bool | None = None) -> list[Json]:
        """Messages an interaction's response and follow-ups created, oldest first (deleted ones too)."""
        found = [m for mid, m in self.messages.items() if self.message_token.get(mid) == interaction["token"]]
        if ephemeral is not None:
            found = [m for m in found if bool(m["flags"] & FLAG_EPHEMERAL) == ephemeral]
        return sorted(found, key=lambda m: int(m["id"]))

    def channel_messages(self, channel_id: str) -> list[Json]:
        """The visible (non-ephemeral, not deleted) messages of a channel, oldest first."""
        return sorted(
            (
                m
                for m in self.messages.values()
                if m["channel_id"] == channel_id
                and not m["flags"] & FLAG_EPHEMERAL
                and m["id"] not in self.deleted
            ),
            key=lambda m: int(m["id"]),
        )

    @property
    def identifies(self) -> list[Json]:
        return self.gateway.identifies

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- REST handlers ----

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "multipart/form-data":
                body = {"multipart": True}
            else:
                with contextlib.suppress(ValueError):
                    body = json.loads(raw) if raw else None
        call = Call(request.method, request.path, dict(request.query), body, time.monotonic())
        if (
            request.headers.get("Authorization") != f"Bot {self.bot_token}"
            and "/webhooks/" not in request.path
            and "/interactions/" not in request.path
        ):
            response: web.StreamResponse = _error(401, 0, "401: Unauthorized")
        else:
            response = self._injected(request) or await handler(request)
        call.status = response.status
        self.calls.append(call)
        await self._notify()
        return response

    def _injected(self, request: web.Request) -> web.Response | None:
        for i, (pattern, method, status, body) in enumerate(self.failures):
            if method == request.method and pattern.search(request.path):
                del self.failures[i]
                return _json(body, status=status)
        return None

    async def _body(self, request: web.Request) -> Json:
        return self.calls_body(await request.read())

    @staticmethod
    def calls_body(raw: bytes) -> Json:
        return json.loads(raw) if raw else {}

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return _json(application_payload(self.application_id))

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        commands: list[Json] = json.loads(await request.read())
        guild = request.match_info.get("guild")
        synced = []
        for cmd in commands:
            cmd_id = self._command_id(cmd["name"])
            synced.append(
                {
                    **cmd,
                    "id": cmd_id,
                    "application_id": self.application_id,
                    "version": snowflake(),
                    **({"guild_id": guild} if guild else {}),
                }
            )
        self.commands[guild] = synced
        return _json(synced)

    async def _callback(self, request: web.Request) -> web.Response:
        token = self.tokens.get(request.match_info["token"])
        if token is None or token.interaction_id != request.match_info["id"]:
            return _error(404, 10062, "Unknown interaction")
        body = await self._body(request)
        if any(c.interaction_id == token.interaction_id for c in self.callbacks):
            return _error(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body["type"], body.get("data") or {}
        self.callbacks.append(Callback(token.interaction_id, kind, data, time.monotonic()))
        interaction: Json = {"id": token.interaction_id, "type": kind}
        result: Json = {"interaction": interaction}
        if kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED):
            flags = int(data.get("flags", 0)) | (FLAG_LOADING if kind == CALLBACK_DEFERRED else 0)
            token.ephemeral = bool(flags & FLAG_EPHEMERAL)
            message = self._new_message(
                token.channel_id, data, flags=flags, interaction_id=token.interaction_id
            )
            token.message_id = message["id"]
            self.message_token[message["id"]] = request.match_info["token"]
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == CALLBACK_DEFERRED,
                response_message_ephemeral=token.ephemeral,
            )
            result["resource"] = {"type": kind, "message": message}
        elif kind == CALLBACK_UPDATE and token.message_id in self.messages:
            message = self._edit(self.messages[token.message_id], data)
            result["resource"] = {"type": kind, "message": message}
        return _json(result)

    def _live_token(self, request: web.Request) -> tuple[Token | None, web.Response | None]:
        if request.match_info["app"] != self.application_id:
            return None, _error(404, 10015, "Unknown Webhook")
        token = self.tokens.get(request.match_info["token"])
        if token is None:
            return None, _error(404, 10015, "Unknown Webhook")
        if time.time() - token.created > self.token_lifetime_s:
            return None, _error(401, 50027, "Invalid Webhook Token")
        return token, None

    async def _followup(self, request: web.Request) -> web.Response:
        token, error = self._live_token(request)
        if error is not None or token is None:
            return error or _error(404, 10015, "Unknown Webhook")
        data = await self._body(request)
        message = self._new_message(
            token.channel_id, data, flags=int(data.get("flags", 0)), interaction_id=token.interaction_id
        )
        self.message_token[message["id"]] = request.match_info["token"]
        return _json(message)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        token, error = self._live_token(request)
        if error is not None or token is None:
            return error or _error(404, 10015, "Unknown Webhook")
        wanted = request.match_info["message"]
        message_id = token.message_id if wanted == "@original" else wanted
        if message_id is None or message_id not in self.messages or message_id in self.deleted:
            return _error(404, 10008, "Unknown Message")
        message = self.messages[message_id]
        if request.method == "DELETE":
            self.deleted.add(message_id)
            return web.Response(status=204)
        if request.method == "PATCH":
            return _json(self._edit(message, await self._body(request)))
        return _json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        data = await self._body(request)
        return _json(self._new_message(request.match_info["channel"], data, flags=0))

    async def _channel_edit(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return _json(self._edit(message, await self._body(request)))

    def _new_message(
        self, channel_id: str, data: Json, *, flags: int, interaction_id: str | None = None
    ) -> Json:
        guild = next((g.id for g in self.guilds if channel_id in g.channel_ids), None)
        message = message_payload(channel_id, data, flags, self.bot_user, self.application_id, interaction_id)
        if guild is not None:
            message["guild_id"] = guild
        self.messages[str(message["id"])] = message
        return message

    def _edit(self, message: Json, data: Json) -> Json:
        for key in ("content", "components", "embeds"):
            if key in data:
                message[key] = data[key] if data[key] is not None else ([] if key != "content" else "")
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = iso()
        return message


def _json(body: Any, status: int = 200) -> web.Response:
    """JSON as Discord sends it: discord.py parses a body only when Content-Type is exactly this."""
    return web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)
