"""The fake Discord's gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE per guild of the
shard, heartbeats ACKed and counted, RESUME -> RESUMED, and dispatches (INTERACTION_CREATE) pushed by
tests to the connection of the shard that holds the guild."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import (
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_RESUME,
    Guild,
    Json,
    guild_payload,
    shard_of,
)


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    session_id: str = field(default_factory=lambda: secrets.token_hex(8))


class FakeGateway:
    def __init__(
        self,
        *,
        bot_token: str,
        bot_user: Json,
        application_id: str,
        guilds: list[Guild],
        heartbeat_interval_ms: int,
        url: Callable[[], str],
        notify: Callable[[], Awaitable[None]],
    ) -> None:
        self.bot_token, self.bot_user, self.application_id = bot_token, bot_user, application_id
        self.guilds = guilds
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = url
        self.notify = notify
        self.identifies: list[Json] = []
        self.heartbeats = 0
        self.resumes = 0
        self.connections: list[_Connection] = []

    async def dispatch(self, event: str, data: Json, guild_id: str | None = None) -> None:
        conns = [c for c in self.connections if not c.ws.closed]
        if guild_id is not None:
            conns = [c for c in conns if shard_of(guild_id, c.shard[1]) == c.shard[0]]
        else:
            conns = [c for c in conns if c.shard[0] == 0]
        if not conns:
            raise AssertionError(f"no gateway connection for {event} (guild {guild_id})")
        conn = conns[-1]
        conn.seq += 1
        await conn.ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": conn.seq, "d": data}))

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Connection(ws)
        self.connections.append(conn)
        await ws.send_str(
            json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == OP_HEARTBEAT:
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": OP_HEARTBEAT_ACK}))
            elif op == OP_IDENTIFY:
                await self._identify(conn, data)
            elif op == OP_RESUME:
                self.resumes += 1
                conn.seq = int(data.get("seq") or 0) + 1
                await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": "RESUMED", "s": conn.seq, "d": {}}))
            await self.notify()
        return ws

    async def _identify(self, conn: _Connection, data: Json) -> None:
        if data.get("token") != self.bot_token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append(data)
        shard = tuple(data.get("shard") or (0, 1))
        conn.shard = (int(shard[0]), int(shard[1]))
        mine = [g for g in self.guilds if shard_of(g.id, conn.shard[1]) == conn.shard[0]]
        conn.seq += 1
        ready = {
            "v": 10,
            "user": self.bot_user,
            "session_id": conn.session_id,
            "shard": list(conn.shard),
            "resume_gateway_url": self.url(),
            "guilds": [{"id": g.id, "unavailable": True} for g in mine],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
        }
        await conn.ws.send_str(json.dumps({"op": OP_DISPATCH, "t": "READY", "s": conn.seq, "d": ready}))
        for guild in mine:
            conn.seq += 1
            await conn.ws.send_str(
                json.dumps({"op": OP_DISPATCH, "t": "GUILD_CREATE", "s": conn.seq, "d": guild_payload(guild)})
            )
