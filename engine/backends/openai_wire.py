"""The OpenAI wire format for backends.openai: request bodies, stream chunks, error answers.

Kept apart from the engine so the client's control flow (slots, retries, deadlines) reads on its own.
The stream is read per network read, not per line (`EventLines`), and parsed with orjson straight from
bytes: the sidecar re-streams every token on the cores the model server computes on, so each Python
object and call per token comes out of the model's own throughput (bench/backends.py measures it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import orjson

from engine.errors import EngineError, EngineOverloaded, EngineUnavailable, InvalidRequest
from engine.types import GenerationRequest, TextDelta

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
MAX_LINE = 1 << 20  # one SSE line (a chunk of a few tokens) is far smaller; more is a broken stream
DONE = b"[DONE]"


def display_url(url: str) -> str:
    """scheme://host:port/path only: no user info, query or fragment (they may carry a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def request_body(
    request: GenerationRequest, model: str, dialect: Literal["vllm", "openai"]
) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) for one request; PostPulse's prompts go out unchanged."""
    p = request.params
    body: dict[str, Any] = {
        "model": model,
        "stream": True,
        "stream_options": {"include_usage": True},
        "n": request.n,
        "max_tokens": p.max_new_tokens,
        "temperature": p.temperature,
        "top_p": p.top_p,
    }
    if p.seed is not None:
        body["seed"] = p.seed
    if p.stop:
        body["stop"] = list(p.stop)
    if dialect == "vllm":
        body["return_token_ids"] = True
        if p.top_k > 0:
            body["top_k"] = p.top_k
        if p.repetition_penalty != 1.0:
            body["repetition_penalty"] = p.repetition_penalty
        if p.ignore_eos:
            body["ignore_eos"] = True
        if p.banned_phrases:  # vLLM's sampling-time ban (SamplingParams.bad_words)
            body["bad_words"] = list(p.banned_phrases)
        if p.seed is not None:  # a fresh salt: never from the prefix cache, so every repeat is cold
            body["cache_salt"] = secrets.token_urlsafe(16)  # (backends/seeded.py says why)
    if request.messages is not None:
        body["messages"] = list(request.messages)
        return "/chat/completions", body
    body["prompt"] = request.prompt
    return "/completions", body


def malformed(what: str) -> EngineUnavailable:
    log.error("malformed stream from the model server: %s", what)
    return EngineUnavailable(f"the model server sent an unreadable stream ({what})")


@dataclass
class Choice:
    """One variant's text and token ids as its chunks arrive."""

    text: list[str] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    finish_reason: str | None = None

    def finish(self) -> str:
        reason = self.finish_reason
        if reason in (None, "stop", "length"):
            return reason or "stop"
        if reason == "abort":
            raise EngineUnavailable("the model server aborted the request")
        return "stop"  # e.g. content_filter: the text ended where the server stopped it


class EventLines:
    """The `data:` payloads of a server-sent event stream, fed as the network delivers bytes."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Every complete `data:` line in `data` (after what an earlier read left unfinished)."""
        lines = (self._pending + data).split(b"\n") if self._pending else data.split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE:
            raise malformed(f"a line longer than {MAX_LINE} bytes")
        return [line[5:].strip() for line in lines if line.startswith(b"data:")]

    def end(self) -> list[bytes]:
        """The last line, when the stream ended without its newline."""
        last, self._pending = self._pending.strip(), b""
        return [last[5:].strip()] if last.startswith(b"data:") else []


def parse_chunk(data: bytes | str) -> dict[str, Any]:
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise malformed(f"a chunk that is not JSON: {exc.msg}") from exc
    if not isinstance(chunk, dict):
        raise malformed("a chunk that is not a JSON object")
    error = chunk.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise EngineUnavailable(f"the model server failed mid-request: {message}")
    return chunk


def take_choice(choice: Any, choices: list[Choice]) -> tuple[int, str, int]:
    """Fold one chunk choice into `choices`: (its index, the text it added or "", token ids it carried)."""
    if not isinstance(choice, dict) or not isinstance(index := choice.get("index", 0), int):
        raise malformed("a choice without an index")
    if not 0 <= index < len(choices):
        raise malformed(f"choice index {index} outside the {len(choices)} requested")
    slot = choices[index]
    reason = choice.get("finish_reason")
    if reason:
        slot.finish_reason = str(reason)
    ids = choice.get("token_ids")
    count = 0
    if isinstance(ids, list):
        slot.token_ids.extend(ids)  # orjson gives ints for JSON integers
        count = len(ids)
    delta = choice.get("delta")
    text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
    if text is None:
        return index, "", count
    if not isinstance(text, str):
        raise malformed("a choice whose text is not a string")
    if text:
        slot.text.append(text)
    return index, text, count


def coalesced(parts: dict[int, list[str]]) -> list[TextDelta]:
    """One delta per choice for the text one read brought: a reader that fell behind catches up in
    one event per choice, not one per token."""
    return [TextDelta(index, "".join(texts)) for index, texts in parts.items()]


def retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


async def error_message(resp: aiohttp.ClientResponse) -> str:
    """The server's own words (OpenAI error JSON or plain text), short and on one line."""
    with contextlib.suppress(Exception):
        text = await resp.text()
        with contextlib.suppress(json.JSONDecodeError, AttributeError, TypeError):
            body = json.loads(text)
            err = body.get("error", body) if isinstance(body, dict) else body
            text = str(err.get("message", err)) if isinstance(err, dict) else str(err)
        return " ".join(text.split())[:300] or resp.reason or f"HTTP {resp.status}"
    return resp.reason or f"HTTP {resp.status}"


async def refusal(
    resp: aiohttp.ClientResponse, *, tries: int, model: str, key_env: str
) -> tuple[EngineError, float | None]:
    """The error a non-200 answer stands for, and the server's Retry-After in seconds."""
    status = resp.status
    message = await error_message(resp)
    wait = retry_after(resp.headers.get("Retry-After"))
    if status in (400, 422):
        return InvalidRequest(f"the model server refused the request: {message}", field="prompt"), None
    if status in (401, 403):
        return EngineError(auth_message(status, key_env)), None
    if status == 404:
        return EngineError(f"the model server has no model {model!r} ({message})"), None
    if status == 429:
        return EngineOverloaded(
            f"the model server is overloaded (HTTP 429, {tries} tries); retry shortly",
            retry_after_s=wait or 1.0,
        ), wait
    if status in RETRYABLE_STATUS:
        return EngineUnavailable(
            f"the model server is unavailable (HTTP {status}, {tries} tries); retry shortly",
            retry_after_s=wait or 5.0,
        ), wait
    return EngineUnavailable(f"the model server failed (HTTP {status}): {message}"), None


def auth_message(status: int, key_env: str) -> str:
    """Names the variable, never its value."""
    return f"the model server refused PostPulse's credentials (HTTP {status}); check the key in ${key_env}"


def why(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
