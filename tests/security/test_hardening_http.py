"""Issue 17, items 3, 4 and 6 over raw loopback HTTP: header bytes a client library would refuse to
send, hosts that are not ours, repeated wrong keys, the page's security headers."""

from __future__ import annotations

import json
import logging

import pytest

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.security.support import KEY_A, KEY_B, get, keyed_server, leaks, raw

pytestmark = pytest.mark.model


def _json_error(answer_body: object) -> dict[str, object]:
    assert isinstance(answer_body, dict) and set(answer_body) == {"error"}, answer_body
    error = answer_body["error"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer caf\xc3\xa9-key",
        b"Authorization: Bearer \xff\xfe",
        b"X-API-Key: \xe2\x98\x83",
        b"X-API-Key: " + KEY_A.encode() + b"\xc3\xa9",
    ],
)
async def test_non_ascii_keys_get_401_not_500(
    app_config: AppConfig,
    engine: AsyncEngine,
    catalog: Catalog,
    header: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with keyed_server(app_config, engine, catalog) as server:
        answer = await raw(server, get("/v1/models", header))
    assert answer.status == 401, answer.body
    assert "API key" in str(_json_error(answer.json())["message"])
    assert not leaks(caplog.records, KEY_A, KEY_B)


async def test_a_wrong_key_beside_a_right_one_is_refused(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    bearer_a = b"Authorization: Bearer " + KEY_A.encode()
    async with keyed_server(app_config, engine, catalog) as server:
        wrong = await raw(server, get("/v1/models", bearer_a, b"X-API-Key: wrong"))
        other = await raw(server, get("/v1/models", bearer_a, b"X-API-Key: " + KEY_B.encode()))
        same = await raw(server, get("/v1/models", bearer_a, b"X-API-Key: " + KEY_A.encode()))
        basic = await raw(
            server, get("/v1/models", b"Authorization: Basic cHJveHk6cA==", b"X-API-Key: " + KEY_A.encode())
        )
    assert (wrong.status, other.status, same.status, basic.status) == (401, 401, 200, 401)


@pytest.mark.parametrize("tail", [b"\x00", b"\x00\x01", b"\x7f"])
async def test_a_key_with_control_bytes_never_reaches_the_log(
    app_config: AppConfig,
    engine: AsyncEngine,
    catalog: Catalog,
    tail: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with keyed_server(app_config, engine, catalog) as server:
        answer = await raw(server, get("/v1/models", b"X-API-Key: " + KEY_A.encode() + tail))
    assert 400 <= answer.status < 500
    assert not leaks(caplog.records, KEY_A, KEY_B)


async def test_oversized_headers_get_a_4xx_and_no_traceback(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with keyed_server(app_config, engine, catalog) as server:
        big = await raw(
            server, get("/v1/models", b"X-Filler: " + b"a" * 20_000, b"X-API-Key: " + KEY_A.encode())
        )
        many = await raw(server, get("/v1/models", *[b"X-H%d: v" % i for i in range(300)]))
    assert 400 <= big.status < 500 and 400 <= many.status < 500
    assert not leaks(caplog.records, KEY_A, KEY_B)


async def test_only_our_hosts_are_answered(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends Host: evil.example."""
    key = b"X-API-Key: " + KEY_A.encode()
    async with keyed_server(app_config, engine, catalog, allowed_hosts=["postpulse.example.com"]) as server:
        evil = await raw(server, get("/v1/models", key, host=b"evil.example"))
        evil_page = await raw(server, get("/", host=b"evil.example:8080"))
        ok = [
            await raw(server, get("/v1/models", key, host=host))
            for host in (
                b"localhost:8080",
                b"127.0.0.1",
                b"[::1]:8080",
                b"postpulse.example.com",
                b"10.0.0.7:8080",
            )
        ]
        probe = await raw(server, get("/health", host=b"evil.example"))  # orchestrators' probes stay open
    assert evil.status == 421 and evil_page.status == 421
    error = _json_error(evil.json())
    assert "evil.example" in str(error["message"]) and "http.allowed_hosts" in str(error["message"])
    assert [answer.status for answer in ok] == [200] * 5
    assert probe.status == 200


async def test_repeated_wrong_keys_are_throttled_per_address(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with keyed_server(
        app_config, engine, catalog, auth_failures_per_window=3, auth_failure_window_s=600
    ) as server:
        wrong = [await raw(server, get("/v1/models", b"X-API-Key: guess-%d" % i)) for i in range(5)]
        right = await raw(server, get("/v1/models", b"X-API-Key: " + KEY_A.encode()))
    assert [a.status for a in wrong] == [401, 401, 401, 429, 429]
    assert int(wrong[-1].headers["retry-after"]) >= 1
    assert "authentication" in str(_json_error(wrong[-1].json())["message"])
    assert right.status == 429  # the address is blocked, so a lucky guess is not confirmed either


async def test_the_page_carries_security_headers(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with keyed_server(app_config, engine, catalog) as server:
        page = await raw(server, get("/"))
        script = await raw(server, get("/playground/app.js"))
        api = await raw(server, get("/v1/models", b"X-API-Key: " + KEY_A.encode()))
    for answer in (page, script, api):
        assert answer.status == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
    csp = page.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


async def test_unknown_static_files_get_a_json_404(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    async with keyed_server(app_config, engine, catalog) as server:
        answer = await raw(server, get("/playground/no-such-file.js"))
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert _json_error(answer.json())["type"] == "not_found_error"


@pytest.mark.parametrize("prompt", ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u200b \u00ad "])
async def test_prompts_without_a_visible_character_get_422(
    app_config: AppConfig, engine: AsyncEngine, catalog: Catalog, prompt: str
) -> None:
    body = json.dumps({"prompt": prompt, "max_length": 2}).encode()
    head = get(
        "/generate-text",
        b"X-API-Key: " + KEY_A.encode(),
        b"Content-Type: application/json",
        b"Content-Length: %d" % len(body),
        method=b"POST",
    )
    async with keyed_server(app_config, engine, catalog) as server:
        answer = await raw(server, head, body)
    assert answer.status == 422, answer.body
    error = _json_error(answer.json())
    assert error["param"] == "prompt" and "visible" in str(error["message"])
