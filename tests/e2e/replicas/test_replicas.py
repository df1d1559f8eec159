"""Two `postpulse serve` replicas on one PostgreSQL: drafts, ratings and Slack deliveries are shared.

Everything goes over real HTTP to real processes; the checks read the shared database through the
other replica (or directly, for the one-draft-per-delivery count)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import database_url as async_url
from tests.e2e.replicas.conftest import Replica
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_payloads import command_body, signed_headers

BRIEF = {
    "prompt": "Our bakery opens a second shop downtown",
    "platform": "x",
    "tone": "casual",
    "industry": "food",
    "max_length": 16,
}
HEALTHCHECK = Path(__file__).resolve().parents[3] / "scripts" / "healthcheck.py"


async def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as response:
        return response.status, await response.json()


async def count(database_url: str, sql: str, **params: object) -> int:
    engine = create_async_engine(async_url(database_url, None))
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql), params)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_draft_made_on_a_is_read_rated_and_remixed_on_b(replicas: dict[str, Replica]) -> None:
    a, b = replicas["a"], replicas["b"]
    status, made = await call("POST", f"{a.url}/generate-text", BRIEF)
    assert status == 200, made
    draft_id = made["draft_id"]

    status, seen = await call("GET", f"{b.url}/v1/drafts/{draft_id}")
    assert status == 200, seen
    assert seen["variants"][0]["text"] == made["generated_text"]

    status, rated = await call("POST", f"{b.url}/v1/drafts/{draft_id}/rating", {"rating": "up", "variant": 0})
    assert status == 200 and rated["variants"][0]["rating"] == "up", rated
    status, on_a = await call("GET", f"{a.url}/v1/drafts/{draft_id}")
    assert on_a["variants"][0]["rating"] == "up"  # B's rating, read back through A

    status, remixed = await call("POST", f"{b.url}/v1/drafts/{draft_id}/remix", {"action": "shorter"})
    assert status == 200, remixed
    status, child = await call("GET", f"{a.url}/v1/drafts/{remixed['draft_id']}")
    assert status == 200 and child["parent_id"] == draft_id and child["action"] == "shorter"


async def test_a_slack_retry_on_the_other_replica_makes_one_draft(
    replicas: dict[str, Replica], fake_slack: FakeSlack, database_url: str
) -> None:
    channel = "C0REPLICA"
    body = command_body("tone:witty platform:x length:short A bike shop's spring tune-up", channel_id=channel)
    async with aiohttp.ClientSession() as session:
        first = await session.post(
            f"{replicas['a'].url}/slack/events",
            data=body,
            headers={**signed_headers(body), "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert first.status == 200
        # Slack's retry of the same delivery (same trigger_id) lands on the other replica.
        retry = await session.post(
            f"{replicas['b'].url}/slack/events",
            data=body,
            headers={
                **signed_headers(body),
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Retry-Num": "1",
                "X-Slack-Retry-Reason": "http_timeout",
            },
        )
        assert retry.status == 200  # acknowledged, so Slack stops retrying

    sql = "SELECT count(*) FROM drafts WHERE channel_id = :channel AND workspace_id = :team"
    for _ in range(600):  # until the one draft is stored (a busy CPU can take a while)
        if await count(database_url, sql, channel=channel, team=TEAM_ID) >= 1:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # room for a second draft, were one started
    assert await count(database_url, sql, channel=channel, team=TEAM_ID) == 1
    posted = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]
    assert len(posted) == 1, posted  # one "Drafting…" message, not one per replica


async def test_the_healthcheck_passes_on_a_running_replica(replicas: dict[str, Replica]) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(HEALTHCHECK), env={**os.environ, "POSTPULSE_PORT": str(replicas["b"].port)}
    )
    assert await proc.wait() == 0


async def test_a_draft_survives_a_restart(replicas: dict[str, Replica]) -> None:
    a, b = replicas["a"], replicas["b"]
    status, made = await call("POST", f"{b.url}/generate-text", BRIEF)
    assert status == 200, made
    await call("POST", f"{b.url}/v1/drafts/{made['draft_id']}/rating", {"rating": "down", "variant": 0})
    for replica in (a, b):
        assert await replica.stop() == 0, replica.tail()  # a clean SIGTERM shutdown
    await a.start()  # a fresh process: nothing of the draft can be in its memory
    status, seen = await call("GET", f"{a.url}/v1/drafts/{made['draft_id']}")
    assert status == 200, seen
    assert seen["variants"][0]["text"] == made["generated_text"]
    assert seen["variants"][0]["rating"] == "down"


async def test_review_states_are_the_same_on_both_replicas(replicas: dict[str, Replica]) -> None:
    """Sent for review on B, edited on A, approved on both at once: one approval, one 409, and both
    replicas answer with the same state, revisions and audit trail."""
    a, b = await asyncio.gather(replicas["a"].running(), replicas["b"].running())
    status, made = await call("POST", f"{a.url}/generate-text", BRIEF)
    assert status == 200, made
    draft = f"/v1/drafts/{made['draft_id']}"

    status, sent = await call("POST", f"{b.url}{draft}/review", {"variant": 0, "note": "for launch day"})
    assert status == 200 and sent["state"] == "in_review", sent
    status, on_a = await call("GET", f"{a.url}{draft}")
    assert on_a["state"] == "in_review" and on_a["history"][0]["note"] == "for launch day"
    edited = "Our second bakery opens downtown on Saturday. Come say hi! #Bakery"
    status, after_edit = await call("POST", f"{a.url}{draft}/edit", {"variant": 0, "text": edited})
    assert status == 200 and after_edit["revisions"][-1]["number"] == 1, after_edit

    answers = await asyncio.gather(
        call("POST", f"{a.url}{draft}/approve", {"variant": 0}),
        call("POST", f"{b.url}{draft}/approve", {"variant": 0}),
    )
    assert sorted(status for status, _ in answers) == [200, 409], answers
    conflict = next(body for status, body in answers if status == 409)
    assert "already approved" in conflict["error"]["message"]
    (_, seen_a), (_, seen_b) = await asyncio.gather(
        call("GET", f"{a.url}{draft}"), call("GET", f"{b.url}{draft}")
    )
    assert seen_a == seen_b
    assert seen_a["state"] == "approved" and seen_a["approved_text"] == edited
    assert [e["action"] for e in seen_a["history"]] == ["review", "edit", "approve"]
