"""Issue 17 over the real bolt stack on loopback (tests/adapters/slack/support.py): mentions never
ping (items 2), and bad or malformed deliveries to /slack/events get a 4xx, never a 5xx (item 3)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from adapters.slack import blocks
from adapters.slack.replies import Where
from bot.assistant import Origin, StoredDraft
from bot.brief import Brief
from bot.drafts import DraftDelta
from bot.postprocess import Post
from tests.adapters.slack.support import Harness
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_payloads import event_payload, mention_event, signed_headers

pytestmark = pytest.mark.model

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM>", "<!subteam^S0TEAM>")
HOSTILE = "<!channel> <@U0VICTIM> hi <!here|here> & <!subteam^S0TEAM>"


def pings_in(harness: Harness) -> list[str]:
    """Every live mention the app sent to Slack, in any argument of any call (text, blocks, streams)."""
    found = []
    for call in harness.fake.calls:
        sent = json.dumps(call.args)
        found += [f"{call.method}: {p}" for p in PINGS if p in sent]
    return found


async def test_defaults_never_ping_when_set_or_shown(slack: Harness) -> None:
    for text in (f'defaults voice:"{HOSTILE}"', "defaults"):
        status, _, _ = await slack.command(text)
        assert status == 200
        await slack.settle()
    shown = slack.fake.calls_to("chat.postEphemeral")
    assert len(shown) == 2 and "&lt;!channel&gt;" in json.dumps(shown[-1].args)  # shown, escaped
    assert not pings_in(slack)


async def test_defaults_set_by_mention_never_ping_in_the_channel(slack: Harness) -> None:
    body = json.dumps(event_payload(mention_event(f'defaults voice:"{HOSTILE}"')))
    status, _, _ = await slack.post_signed(body, content_type="application/json")
    assert status == 200
    await slack.settle()
    assert slack.fake.calls_to("chat.postMessage")  # answered in the thread
    assert not pings_in(slack)


class ScriptedJob:
    """Stands in for the model: its words are what is under test here, and a tiny model cannot be
    made to write `<!channel>` on demand. Everything after it (Replies, slack_sdk, the fake) is real."""

    def __init__(self, brief: Brief, deltas: list[str], draft: StoredDraft) -> None:
        self.brief = brief
        self._deltas = deltas
        self._draft = draft

    def __aiter__(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        return self._events()

    async def _events(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        for delta in self._deltas:
            yield DraftDelta(0, delta)
        yield self._draft

    async def aclose(self) -> None:
        return None


def scripted() -> ScriptedJob:
    text = f"Launch day! {HOSTILE} #launch"
    brief = Brief(prompt="launch", platform="linkedin", tone="casual")
    origin = Origin("slack", "U0ALICE", TEAM_ID, "C0GENERAL")
    draft = StoredDraft(
        id="d" * 32, brief=brief, variants=[Post(text, 8, len(text), ["#launch"], False)], origin=origin,
        model="SmolLM2-135M-Instruct", generation_seconds=1.0, created_at=datetime.now(UTC),
        platform_limit=3000,
    )  # fmt: skip
    return ScriptedJob(brief, ["Launch day! ", HOSTILE[:20], HOSTILE[20:], " #launch"], draft)


async def test_model_output_never_pings_in_messages_or_thread_streams(slack: Harness) -> None:
    origin = Origin("slack", "U0ALICE", TEAM_ID, "C0GENERAL")
    replies = slack.runtime.replies
    await replies.stream_message(origin, scripted(), Where("C0GENERAL", "U0ALICE"))  # type: ignore[arg-type]
    await replies.stream_thread(origin, scripted(), Where("C0GENERAL", "U0ALICE", thread_ts="1.0"))  # type: ignore[arg-type]
    await slack.settle()
    assert slack.fake.calls_to("chat.appendStream") or slack.fake.calls_to("chat.stopStream")
    assert slack.fake.calls_to("chat.update")
    assert not pings_in(slack)
    final = slack.fake.calls_to("chat.update")[-1].args
    assert "&lt;!channel&gt;" in final["text"]  # the fallback shows the words, escaped


def test_one_escape_helper_for_every_message() -> None:
    assert blocks.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    text, shown = blocks.notice_message(f"Unknown tone '{HOSTILE}'")
    assert "<!channel>" not in text and "<!channel>" not in json.dumps(shown)


FORM = "application/x-www-form-urlencoded"
MALFORMED: list[tuple[str, str]] = [
    (FORM, urlencode({"payload": "not json"})),
    (FORM, urlencode({"payload": "[1, 2]"})),
    (FORM, urlencode({"payload": json.dumps({"type": "block_actions"})})),
    (FORM, urlencode({"payload": json.dumps({"type": "block_actions", "actions": [{"value": 1}]})})),
    (FORM, urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x", "user": 3})})),
    (FORM, "payload=%FF%FE"),
    ("application/json", "not json"),
    ("application/json", "[1, 2]"),
    ("application/json", json.dumps({"type": "event_callback", "event": "nope"})),
    ("application/json", json.dumps({"type": "event_callback", "event": {"type": "app_mention"}})),
    ("application/json", json.dumps({"type": "url_verification"})),
    (FORM, urlencode({"command": "/postpulse"})),
]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
async def test_signed_but_malformed_bodies_get_400(
    slack: Harness, content_type: str, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status, text, _ = await slack.post_signed(body, content_type=content_type)
    await slack.settle()
    assert status < 500, text
    # 200: bolt acknowledged an event it has no listener for; 404: bolt's "unhandled request"
    assert status in (200, 400, 404), text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("timestamp", ["abc", "", " ", "1e9", "１２３", "-1", "99999999999999999999999"])
async def test_malformed_timestamps_get_401(slack: Harness, timestamp: str) -> None:
    body = urlencode({"command": "/postpulse", "text": "help"})
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": timestamp}
    async with slack.http.post(
        slack.events_url, data=body, headers={"Content-Type": FORM, **headers}
    ) as resp:
        assert resp.status in (400, 401), await resp.text()
        assert resp.content_type == "application/json"
    assert not slack.fake.calls
