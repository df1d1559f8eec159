"""The review routes over real loopback HTTP: a draft made by /generate-text goes through review,
edit, changes, approve; every illegal transition is a 409 with plain words; bad bodies 422; with
API keys on, approve/changes need a reviewer key (403) and another key's draft is not found (404)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from adapters.http.auth import caller_id
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.records import Origin
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import SHORT, Server, serving
from tests.bot.store.support import make_draft

pytestmark = pytest.mark.model

UNKNOWN = "0" * 32
LOCAL = Origin("http", "addr:127.0.0.1")  # keys off: the client address, the `default` tenant
WRITER, EDITOR = "sk-writer-0123456789", "sk-editor-0123456789"


async def _call(
    client: aiohttp.ClientSession, method: str, url: str, body: Any = None, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"X-API-Key": key} if key else {}
    async with client.request(method, url, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def _stored(server: Server, origin: Origin = LOCAL, variants: int = 2) -> str:
    """A draft as the Assistant stores it, without spending the model on it."""
    draft = make_draft(variants, origin=origin)
    await server.service.store.drafts.add(draft)
    return f"{server.url}/v1/drafts/{draft.id}"


async def test_a_generated_draft_through_review_edit_changes_and_approval(
    server: Server, client: aiohttp.ClientSession
) -> None:
    body = {"prompt": "Grand opening of our bakery", "platform": "x", "max_length": SHORT, "variants": 2}
    status, made = await _call(client, "POST", server.url + "/generate-text", body)
    assert status == 200, made
    base = f"{server.url}/v1/drafts/{made['draft_id']}"
    status, draft = await _call(client, "GET", base)
    assert status == 200 and draft["state"] == "draft" and draft["approved_text"] is None
    assert draft["approved"] is None and draft["history"] == []
    assert [(r["variant"], r["number"], r["text"]) for r in draft["revisions"]] == [
        (0, 0, made["variants"][0]["text"]),
        (1, 0, made["variants"][1]["text"]),
    ]
    status, draft = await _call(client, "POST", base + "/review", {"variant": 1, "note": "for Friday"})
    assert status == 200 and draft["state"] == "in_review"
    status, draft = await _call(
        client, "POST", base + "/edit", {"variant": 1, "text": "Fresh bread, 7am. #Bakery"}
    )
    assert status == 200 and draft["state"] == "in_review"
    assert draft["revisions"][-1] == {**draft["revisions"][-1], "variant": 1, "number": 1}
    status, draft = await _call(client, "POST", base + "/changes", {"note": "say the street"})
    assert status == 200 and draft["state"] == "changes_requested"
    status, draft = await _call(
        client, "POST", base + "/edit", {"variant": 1, "text": "Fresh bread on Rua Augusta, 7am."}
    )
    assert status == 200 and draft["revisions"][-1]["number"] == 2
    status, draft = await _call(client, "POST", base + "/review", {"variant": 1})
    assert status == 200 and draft["state"] == "in_review"
    status, draft = await _call(client, "POST", base + "/approve", {"variant": 1})
    assert status == 200 and draft["state"] == "approved"
    assert draft["approved"] == {"variant": 1, "revision": 2}
    assert draft["approved_text"] == "Fresh bread on Rua Augusta, 7am."
    assert [(e["action"], e["front_door"], e["revision"], e["note"]) for e in draft["history"]] == [
        ("review", "http", 0, "for Friday"),
        ("edit", "http", 1, None),
        ("changes", "http", 1, "say the street"),
        ("edit", "http", 2, None),
        ("review", "http", 2, None),
        ("approve", "http", 2, None),
    ]
    status, again = await _call(client, "GET", base)
    assert status == 200 and again == draft  # the GET shows what the transition answered
    assert "addr:" not in json.dumps(again)  # who did it: names and front doors, never ids


async def test_approve_a_revision_by_number(server: Server, client: aiohttp.ClientSession) -> None:
    base = await _stored(server)
    await _call(client, "POST", base + "/review", {"variant": 0})
    await _call(client, "POST", base + "/edit", {"variant": 0, "text": "A second take."})
    status, draft = await _call(client, "POST", base + "/approve", {"revision": 0})
    assert status == 200 and draft["approved"] == {"variant": 0, "revision": 0}
    assert draft["approved_text"] == draft["revisions"][0]["text"]


@pytest.mark.parametrize(
    ("steps", "route", "body", "state"),
    [
        (["review", "approve"], "approve", {"variant": 0}, "approved"),  # approving twice
        (["review", "approve"], "edit", {"variant": 0, "text": "Too late."}, "approved"),
        (["review", "approve"], "changes", {"note": "too late"}, "approved"),
        (["review", "approve"], "review", {"variant": 0}, "approved"),
        ([], "approve", {}, "draft"),
        ([], "changes", {"note": "not sent yet"}, "draft"),
        (["review"], "review", {}, "in_review"),
        (["review", "changes"], "approve", {}, "changes_requested"),
    ],
)
async def test_illegal_transitions_are_409_with_plain_words(
    server: Server,
    client: aiohttp.ClientSession,
    steps: list[str],
    route: str,
    body: dict[str, Any],
    state: str,
) -> None:
    base = await _stored(server)
    step_bodies = {"review": {"variant": 0}, "approve": {"variant": 0}, "changes": {"note": "shorter"}}
    for step in steps:
        status, _ = await _call(client, "POST", f"{base}/{step}", step_bodies[step])
        assert status == 200
    _, before = await _call(client, "GET", base)
    status, error = await _call(client, "POST", f"{base}/{route}", body)
    assert status == 409, error
    assert error["error"]["type"] == "conflict_error" and error["error"]["param"] == "state"
    assert f"(state: {state})" in error["error"]["message"] and "Allowed now:" in error["error"]["message"]
    assert "Traceback" not in error["error"]["message"]
    _, after = await _call(client, "GET", base)
    assert after == before  # nothing changed


@pytest.mark.parametrize(
    ("route", "body", "param"),
    [
        ("review", {"variant": -1}, "variant"),
        ("review", {"variant": 5}, "variant"),  # past this draft's variants: the bot's check
        ("review", {"variant": "0"}, "variant"),
        ("review", {"note": "n" * 2001}, "note"),
        ("review", {"variants": 0}, "variants"),
        ("edit", {"variant": 0}, "text"),
        ("edit", {"variant": 0, "text": ""}, "text"),
        ("edit", {"variant": 0, "text": "   "}, "text"),  # blank: the bot's check
        ("edit", {"variant": 0, "text": "x" * 281}, "text"),  # past X's 280
        ("approve", {"revision": 9}, "revision"),
        ("approve", {"revision": True}, "revision"),
        ("changes", {}, "note"),
        ("changes", {"note": ""}, "note"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    server: Server, client: aiohttp.ClientSession, route: str, body: dict[str, Any], param: str
) -> None:
    base = await _stored(server)
    if route in ("approve", "changes"):
        await _call(client, "POST", base + "/review", {"variant": 0})
    status, error = await _call(client, "POST", f"{base}/{route}", body)
    assert status == 422, error
    assert error["error"]["param"] == param, error


async def test_unknown_drafts_are_404_on_every_review_route(
    server: Server, client: aiohttp.ClientSession
) -> None:
    base = f"{server.url}/v1/drafts/{UNKNOWN}"
    for route, body in (("review", {}), ("edit", {"text": "x"}), ("approve", {}), ("changes", {"note": "x"})):
        status, error = await _call(client, "POST", f"{base}/{route}", body)
        assert status == 404 and error["error"]["message"] == f"no such draft: '{UNKNOWN}'"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def keyed(app_config: AppConfig, engine: AsyncEngine, catalog: Catalog) -> AsyncIterator[Server]:
    """API keys on: WRITER is a plain key, EDITOR a reviewer key (also a valid API key)."""
    env = {"POSTPULSE_API_KEYS": WRITER, "POSTPULSE_REVIEWER_KEYS": EDITOR}
    async with serving(app_config, engine, catalog=catalog, env=env) as srv:
        yield srv


async def test_with_keys_only_a_reviewer_key_approves(keyed: Server, client: aiohttp.ClientSession) -> None:
    writer = Origin("http", caller_id(WRITER), caller_id(WRITER))
    base = await _stored(keyed, writer)
    status, draft = await _call(client, "POST", base + "/review", {"variant": 0}, key=WRITER)
    assert status == 200 and draft["state"] == "in_review"
    status, draft = await _call(
        client, "POST", base + "/edit", {"text": "The writer's own edit."}, key=WRITER
    )
    assert status == 200  # the author edits their own draft
    for route, body in (("approve", {"variant": 0}), ("changes", {"note": "no"})):
        status, error = await _call(client, "POST", f"{base}/{route}", body, key=WRITER)
        assert status == 403, error
        assert error["error"]["type"] == "permission_error"
        assert error["error"]["message"].startswith("only reviewers can")
        assert (
            "POSTPULSE_REVIEWER_KEYS" in error["error"]["message"] and WRITER not in error["error"]["message"]
        )
    status, _ = await _call(client, "POST", base + "/approve", {}, key=EDITOR)
    assert status == 404  # without a brand joining them, each key is its own team
    status, draft = await _call(client, "GET", base, key=WRITER)
    assert draft["state"] == "in_review" and len(draft["history"]) == 2  # nothing changed
    status, _ = await _call(client, "POST", base + "/approve", {})
    assert status == 401

    editor = Origin("http", caller_id(EDITOR), caller_id(EDITOR), roles=frozenset({"reviewer"}))
    own = await _stored(keyed, editor)
    await _call(client, "POST", own + "/review", {"variant": 1}, key=EDITOR)
    status, draft = await _call(client, "POST", own + "/approve", {}, key=EDITOR)
    assert status == 200 and draft["approved"] == {"variant": 1, "revision": 0}
