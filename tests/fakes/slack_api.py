"""A loopback fake of Slack: the Web API methods PostPulse calls, Socket Mode, and signed deliveries.

It answers like Slack for what the adapter uses (auth.test, chat.postMessage / update / delete /
postEphemeral, chat.startStream / appendStream / stopStream, apps.connections.open, response_url
posts; for roles and review: users.info, usergroups.users.list, views.open / views.update, and
`#name` channels resolved to their ids), validates Block Kit and modals the way Slack rejects them
(`invalid_blocks` for a section over 3,000 characters, more than 50 blocks, duplicate action ids in a
block, over-long labels and values), keeps the messages it holds, and records every call.
`chat.update` is rate-limited per workspace like Tier 3 (a sliding 60-second window; over it: HTTP 429
with Retry-After), and `fail_next` makes any method answer 429 on demand.

Socket Mode: `apps.connections.open` (with an xapp- token) hands out a ws:// URL on this server; the
fake says hello, `send_envelope` pushes an envelope and returns the app's ack.

tests/fakes/slack_payloads.py builds the bodies Slack sends and signs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

Json = dict[str, Any]

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"
TEAM_ID = "T0FAKE"
BOT_USER_ID = "U0BOT"
SECTION_LIMIT = 3000
WINDOW_S = 60.0
TITLE_LIMIT = 24  # a modal's title
METADATA_LIMIT = 3000  # a modal's private_metadata


@dataclass
class Call:
    method: str
    args: Json
    team: str | None
    at: float
    status: int = 200
    error: str | None = None
    response: Json = field(default_factory=dict)


@dataclass
class Message:
    channel: str
    ts: str
    text: str = ""
    blocks: list[Json] = field(default_factory=list)
    thread_ts: str | None = None
    streaming: bool = False
    streamed_text: str = ""
    edits: int = 0


class SlackError(Exception):
    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}


def _plain(element: Json, limit: int, where: str) -> None:
    text = (element or {}).get("text", "")
    if not isinstance(text, str) or len(text) > limit:
        raise SlackError("invalid_blocks", headers={"X-Fake-Reason": f"{where} over {limit} chars"})


def validate_blocks(blocks: list[Json]) -> None:
    """The subset of Slack's Block Kit checks that matters to PostPulse's messages."""
    if len(blocks) > 50:
        raise SlackError("invalid_blocks")
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            _plain(block.get("text", {}), SECTION_LIMIT, "section text")
            accessory = block.get("accessory")
            if accessory:
                _element(accessory)
        elif kind == "context":
            for element in block.get("elements", []):
                _plain(element, 3000, "context element")
        elif kind == "actions":
            elements = block.get("elements", [])
            ids = [e.get("action_id") for e in elements]
            if len(elements) > 25 or len(ids) != len(set(ids)):
                raise SlackError("invalid_blocks")
            for element in elements:
                _element(element)
        elif kind not in {"divider", "header", "rich_text", "markdown"}:
            raise SlackError("invalid_blocks")


def validate_view(view: Json) -> None:
    """A modal as views.open/views.update accept it: a title, a callback id, input blocks."""
    if view.get("type") != "modal":
        raise SlackError("invalid_arguments", headers={"X-Fake-Reason": "view type"})
    for key, limit in (("title", TITLE_LIMIT), ("submit", TITLE_LIMIT), ("close", TITLE_LIMIT)):
        if key in view or key == "title":
            _plain(view.get(key, {}), limit, f"view {key}")
    if len(str(view.get("private_metadata", ""))) > METADATA_LIMIT:
        raise SlackError("invalid_arguments", headers={"X-Fake-Reason": "private_metadata"})
    blocks = view.get("blocks") or []
    if not blocks or len(blocks) > 100:
        raise SlackError("invalid_blocks")
    for block in blocks:
        if block.get("type") != "input":
            validate_blocks([block])
            continue
        _plain(block.get("label", {}), 2000, "input label")
        element = block.get("element") or {}
        if element.get("type") != "plain_text_input" or not element.get("action_id"):
            raise SlackError("invalid_blocks")
        cap = int(element.get("max_length", 3000))
        if cap > 3000 or len(str(element.get("initial_value", ""))) > cap:
            raise SlackError("invalid_blocks", headers={"X-Fake-Reason": "input value over max_length"})


def _element(element: Json) -> None:
    kind = element.get("type")
    if kind == "button":
        _plain(element["text"], 75, "button text")
        if len(element.get("value", "")) > 2000:
            raise SlackError("invalid_blocks")
    elif kind == "static_select":
        options = element.get("options", [])
        if not 1 <= len(options) <= 100:
            raise SlackError("invalid_blocks")
        for option in options:
            _plain(option["text"], 75, "option text")
            if len(option.get("value", "")) > 150:
                raise SlackError("invalid_blocks", headers={"X-Fake-Reason": "option value over 150"})
    else:
        raise SlackError("invalid_blocks")


class FakeSlack:
    """Run with `async with FakeSlack() as slack:`; `slack.api_url` is what SLACK_API_URL gets."""

    def __init__(self, *, update_limit_per_minute: int = 50) -> None:
        self.update_limit_per_minute = update_limit_per_minute
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[Json] = []
        self.responses: list[Json] = []  # posts to response_url
        self.closed_channels: set[str] = set()  # the bot is not a member: not_in_channel
        self.channel_names: dict[str, str] = {}  # "#name" -> channel id, as Slack resolves names
        self.users: dict[str, Json] = {}  # users.info answers; unknown U… ids are plain members
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list: group id -> user ids
        self.views: dict[str, Json] = {}  # views opened, by view id
        self.rate_limited: list[Call] = []  # 429s this fake answered
        self._failures: dict[str, deque[float]] = {}
        self._update_times: dict[str, deque[float]] = {}
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[Json]] = {}
        self.socket_connected = asyncio.Event()
        self.changed = asyncio.Event()  # set on every recorded call (tests wait on it)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs users.info, usergroups.users.list
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/response/{id}", self._response_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self._sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{uuid.uuid4().hex}"

    # -- test controls and queries --

    def fail_next(self, method: str, *, times: int = 1, retry_after: float = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with this Retry-After."""
        self._failures.setdefault(method, deque()).extend([retry_after] * times)

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        return [
            c for c in self.calls if c.method == method and (not ok_only or (c.status == 200 and not c.error))
        ]

    def message(self, channel: str, ts: str) -> Message:
        return self.messages[(channel, ts)]

    def max_in_window(self, method: str, window_s: float = WINDOW_S) -> int:
        """The most successful calls of `method` in any `window_s`-second window."""
        times = [c.at for c in self.calls_to(method)]
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] > window_s:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def wait_for(self, predicate: Any, timeout: float = 120.0) -> None:
        """Wait until `predicate()` holds (checked after every call this fake records)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the fake Slack never saw what the test waited for")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))

    async def send_envelope(
        self, kind: str, payload: Json, *, retry_attempt: int = 0, timeout: float = 10.0
    ) -> Json:
        """Push a Socket Mode envelope to the connected app; returns its ack (`envelope_id`, `payload`)."""
        await asyncio.wait_for(self.socket_connected.wait(), timeout)
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return await asyncio.wait_for(future, timeout)

    # -- the Web API --

    def _team(self, request: web.Request, args: Json) -> str | None:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else args.get("token", "")
        if token == BOT_TOKEN:
            return TEAM_ID
        if token == APP_TOKEN:
            return "app"
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: Json = dict(request.query)  # slack_sdk sends some methods' arguments as query parameters
        if request.method == "GET":
            pass
        elif request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(await request.post())
        call = Call(method, args, self._team(request, args), time.monotonic())
        self.calls.append(call)
        self.changed.set()
        try:
            body = self._answer(method, args, call)
        except SlackError as exc:
            call.status, call.error = exc.status, exc.error
            if exc.status == 429:
                self.rate_limited.append(call)
            return web.json_response(
                {"ok": False, "error": exc.error}, status=exc.status, headers=exc.headers
            )
        call.response = {"ok": True, **body}
        return web.json_response(call.response)

    def _answer(self, method: str, args: Json, call: Call) -> Json:
        failures = self._failures.get(method)
        if failures:
            retry_after = failures.popleft()
            raise SlackError("ratelimited", 429, {"Retry-After": str(math.ceil(retry_after))})
        if call.team is None:
            raise SlackError("invalid_auth")
        if method == "apps.connections.open":
            if call.team != "app":
                raise SlackError("not_allowed_token_type")
            return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4().hex}"}
        if call.team == "app":
            raise SlackError("not_allowed_token_type")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            raise SlackError("unknown_method")
        result: Json = handler(args, call)
        return result

    def _auth_test(self, args: Json, call: Call) -> Json:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "postpulse",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }

    def _blocks(self, args: Json) -> list[Json]:
        raw = args.get("blocks") or []
        blocks = json.loads(raw) if isinstance(raw, str) else list(raw)
        validate_blocks(blocks)
        if not blocks and not args.get("text") and not args.get("chunks") and not args.get("markdown_text"):
            raise SlackError("no_text")
        return blocks

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _channel(self, args: Json) -> str:
        channel = args.get("channel")
        if isinstance(channel, str) and channel.startswith("#"):
            channel = self.channel_names.get(channel[1:])
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.closed_channels:
            raise SlackError("not_in_channel")
        return str(channel)

    def _chat_postMessage(self, args: Json, call: Call) -> Json:
        channel = self._channel(args)
        blocks = self._blocks(args)
        msg = Message(channel, self._new_ts(), args.get("text", ""), blocks, args.get("thread_ts"))
        self.messages[(channel, msg.ts)] = msg
        return {
            "channel": channel,
            "ts": msg.ts,
            "message": {"text": msg.text, "blocks": blocks, "ts": msg.ts},
        }

    def _existing(self, args: Json) -> Message:
        channel = self._channel(args)
        msg = self.messages.get((channel, str(args.get("ts"))))
        if msg is None:
            raise SlackError("message_not_found")
        return msg

    def _chat_update(self, args: Json, call: Call) -> Json:
        team = call.team or "-"
        window = self._update_times.setdefault(team, deque())
        while window and call.at - window[0] > WINDOW_S:
            window.popleft()
        if len(window) >= self.update_limit_per_minute:
            wait = WINDOW_S - (call.at - window[0])
            raise SlackError("ratelimited", 429, {"Retry-After": str(max(1, math.ceil(wait)))})
        msg = self._existing(args)
        blocks = self._blocks(args)
        window.append(call.at)
        msg.text, msg.blocks = args.get("text", msg.text), blocks
        msg.edits += 1
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text}

    def _chat_delete(self, args: Json, call: Call) -> Json:
        msg = self._existing(args)
        del self.messages[(msg.channel, msg.ts)]
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_postEphemeral(self, args: Json, call: Call) -> Json:
        channel = self._channel(args)
        if not args.get("user"):
            raise SlackError("user_not_in_channel")
        self._blocks(args)
        self.ephemerals.append(args)
        return {"message_ts": self._new_ts(), "channel": channel}

    def _users_info(self, args: Json, call: Call) -> Json:
        user_id = str(args.get("user") or "")
        if not user_id.startswith(("U", "W")):
            raise SlackError("user_not_found")
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "is_admin": False,
            "is_owner": False,
        }
        return {"user": {**user, **self.users.get(user_id, {})}}

    def _usergroups_users_list(self, args: Json, call: Call) -> Json:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _view(self, raw: Any) -> Json:
        view: Json = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        validate_view(view)
        return view

    def _views_open(self, args: Json, call: Call) -> Json:
        if not args.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = {**self._view(args.get("view")), "id": f"V{next(self._ts):08d}", "hash": uuid.uuid4().hex}
        self.views[view["id"]] = view
        return {"view": view}

    def _views_update(self, args: Json, call: Call) -> Json:
        view_id = str(args.get("view_id") or "")
        if view_id not in self.views:
            raise SlackError("not_found")
        view = {**self._view(args.get("view")), "id": view_id, "hash": uuid.uuid4().hex}
        self.views[view_id] = view
        return {"view": view}

    @staticmethod
    def _chunk_text(args: Json) -> str:
        text = str(args.get("markdown_text") or "")
        for chunk in args.get("chunks") or []:
            if chunk.get("type") == "markdown_text":
                text += chunk.get("text", "")
        return text

    def _chat_startStream(self, args: Json, call: Call) -> Json:
        channel = self._channel(args)
        if not args.get("thread_ts"):
            raise SlackError("invalid_arguments")
        if channel.startswith("C") and not (args.get("recipient_user_id") and args.get("recipient_team_id")):
            raise SlackError("missing_recipient")  # streaming to a channel names its recipient
        msg = Message(channel, self._new_ts(), thread_ts=args["thread_ts"], streaming=True)
        msg.streamed_text = self._chunk_text(args)
        self.messages[(channel, msg.ts)] = msg
        return {"channel": channel, "ts": msg.ts}

    def _streaming(self, args: Json) -> Message:
        msg = self._existing(args)
        if not msg.streaming:
            raise SlackError("message_not_in_streaming_state")
        return msg

    def _chat_appendStream(self, args: Json, call: Call) -> Json:
        msg = self._streaming(args)
        msg.streamed_text += self._chunk_text(args)
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_stopStream(self, args: Json, call: Call) -> Json:
        msg = self._streaming(args)
        msg.streamed_text += self._chunk_text(args)
        msg.blocks = self._blocks({**args, "text": msg.streamed_text or "-"})
        msg.text = msg.streamed_text
        msg.streaming = False
        return {"channel": msg.channel, "ts": msg.ts, "message": {"text": msg.text, "blocks": msg.blocks}}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append(body)
        self.calls.append(Call("response_url", body, None, time.monotonic()))
        self.changed.set()
        return web.Response(text="ok")

    # -- Socket Mode --

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}})
        )
        self.socket_connected.set()
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            ack = json.loads(frame.data)
            self.calls.append(Call("socket_ack", ack, None, time.monotonic()))
            self.changed.set()
            future = self._acks.pop(str(ack.get("envelope_id")), None)
            if future is not None and not future.done():
                future.set_result(ack)
        return ws
