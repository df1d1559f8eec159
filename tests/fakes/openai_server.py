"""A scripted OpenAI-compatible server on 127.0.0.1 for the `openai` backend's failure tests.

Each POST to /v1/chat/completions or /v1/completions takes the next `Reply` from `server.replies`
(or `server.default`): an error status, or an SSE stream that can be slow, stall, break off, or send
malformed chunks. The server records each request's body and headers, and whether the client left
before the stream ended (what the backend's cancellation must cause).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "scripted failure"
    tokens: tuple[str, ...] = ("Fresh", " coffee", ",", " every", " morning", ".")
    delay_s: float = 0.0  # between chunks
    stall_after: int | None = None  # after this many chunks, send nothing more (hold the connection)
    die_after: int | None = None  # after this many chunks, drop the connection
    raw_after: dict[int, bytes] = field(default_factory=dict)  # chunk index -> raw bytes sent instead
    finish_reason: str = "stop"


@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    completed: bool = False
    client_left: bool = False


class FakeOpenAI:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.replies: list[Reply] = []
        self.default = Reply()
        self.seen: list[Seen] = []
        self.loras: dict[str, str] = {}  # LoRA adapters loaded at run time: name -> path
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.left = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/v1/completions", self._complete)
        app.router.add_post("/v1/load_lora_adapter", self._load_lora)
        return app

    async def start(self) -> FakeOpenAI:
        # handler_cancellation: a client that drops the connection cancels the handler, as in uvicorn
        self._runner = web.AppRunner(self.app(), handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        self.replies.clear()
        self.default = Reply()
        self.seen.clear()
        self.left.clear()

    async def _models(self, request: web.Request) -> web.Response:
        names = [self.model, *self.loras]
        return web.json_response({"object": "list", "data": [{"id": n, "object": "model"} for n in names]})

    async def _load_lora(self, request: web.Request) -> web.Response:
        """vLLM's runtime LoRA loading: 200 once, then 400 "already been loaded" for the same name."""
        body = await request.json()
        name, path = body.get("lora_name"), body.get("lora_path")
        if not name or not path:
            missing = {"error": {"message": "lora_name and lora_path are required"}}
            return web.json_response(missing, status=400)
        if name in self.loras:
            return web.json_response(
                {"error": {"message": f"The lora adapter '{name}' has already been loaded."}}, status=400
            )
        self.loras[name] = path
        return web.Response(text=f"Success: LoRA adapter '{name}' added successfully.")

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.path, await request.json(), dict(request.headers))
        self.seen.append(seen)
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.status != 200:
            body = {"error": {"message": reply.error, "type": "server_error"}}
            return web.json_response(body, status=reply.status, headers=reply.headers)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            async for data in self._chunks(seen, reply):
                if data is None:
                    assert request.transport is not None
                    request.transport.close()  # the server "dies": the stream breaks off mid-way
                    return response
                await response.write(data)
            seen.completed = True
        except (asyncio.CancelledError, ConnectionResetError):
            seen.client_left = True
            self.left.set()
            raise
        return response

    async def _chunks(self, seen: Seen, reply: Reply) -> AsyncIterator[bytes | None]:
        chat = seen.path.endswith("chat/completions")
        n = int(seen.body.get("n", 1))
        for i, token in enumerate(reply.tokens):
            if reply.die_after is not None and i >= reply.die_after:
                yield None
            if reply.stall_after is not None and i >= reply.stall_after:
                await asyncio.sleep(3600)
            if i in reply.raw_after:
                yield reply.raw_after[i]
                continue
            for index in range(n):
                part: dict[str, Any] = {"delta": {"content": token}} if chat else {"text": token}
                yield _event({"choices": [{"index": index, "token_ids": [1000 + i], **part}]})
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
        if reply.die_after == len(reply.tokens):  # every token sent, then gone before the end
            yield None
        for index in range(n):
            part = {"delta": {}} if chat else {"text": ""}
            yield _event({"choices": [{"index": index, "finish_reason": reply.finish_reason, **part}]})
        usage = {"prompt_tokens": 7, "completion_tokens": n * len(reply.tokens)}
        yield _event({"choices": [], "usage": usage})
        yield b"data: [DONE]\n\n"


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


@contextlib.asynccontextmanager
async def fake_openai(model: str = "fake-model") -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI(model).start()
    try:
        yield server
    finally:
        await server.stop()
