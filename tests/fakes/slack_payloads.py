"""What Slack sends an app, signed the way Slack signs it: slash commands (form-encoded),
block_actions payloads (a click on an element of a message the fake holds), view_submission payloads
(a modal the fake opened, submitted with values), Events API envelopes (mentions, DMs). Used with
tests/fakes/slack_api.py."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import BOT_USER_ID, SIGNING_SECRET, TEAM_ID, Json, Message


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def command_payload(
    text: str,
    *,
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    trigger_id: str | None = None,
    response_url: str = "",
    command: str = "/postpulse",
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": "A0FAKE",
        "response_url": response_url,
        "trigger_id": trigger_id or f"trig.{uuid.uuid4().hex}",
    }


def command_body(text: str, **kwargs: Any) -> str:
    """A slash command as Slack POSTs it (form-encoded)."""
    return urlencode(command_payload(text, **kwargs))


def actions_payload(
    message: Message,
    action_id: str,
    *,
    user_id: str = "U0ALICE",
    selected: str | None = None,
    response_url: str = "",
    user_name: str = "alice",
) -> Json:
    """A block_actions payload for a click on `action_id` in `message` (the element as rendered)."""
    element = _find_element(message.blocks, action_id)
    action: Json = {
        "action_id": action_id,
        "block_id": element.get("_block_id", "b"),
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["value"] = element["value"]
        action["text"] = element["text"]
    else:
        options = {opt["value"]: opt for opt in element["options"]}
        chosen = next(o for o in element["options"] if json.loads(o["value"]).get("c") == selected)
        action["selected_option"] = options[chosen["value"]]
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": "A0FAKE",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel},
        "trigger_id": f"trig.{uuid.uuid4().hex}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "channel": {"id": message.channel, "name": "general"},
        "message": {
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
            "thread_ts": message.thread_ts,
        },
        "response_url": response_url,
        "actions": [action],
    }


def _find_element(blocks: list[Json], action_id: str) -> Json:
    for block in blocks:
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return {**element, "_block_id": block.get("block_id", "b")}
    raise KeyError(f"no element {action_id!r} in the message")


def view_submission_payload(
    view: Json, values: dict[tuple[str, str], str], *, user_id: str = "U0ALICE"
) -> Json:
    """A modal submitted: `values` maps (block_id, action_id) of its inputs to what was typed."""
    state: Json = {}
    for (block_id, action_id), value in values.items():
        state.setdefault(block_id, {})[action_id] = {"type": "plain_text_input", "value": value}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0FAKE",
        "token": "legacy-verification-token",
        "trigger_id": f"trig.{uuid.uuid4().hex}",
        "view": {**view, "team_id": TEAM_ID, "state": {"values": state}, "app_id": "A0FAKE"},
        "response_urls": [],
    }


def actions_body(payload: Json) -> str:
    return urlencode({"payload": json.dumps(payload)})


def event_payload(event: Json, *, event_id: str | None = None) -> Json:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0FAKE",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention_event(
    text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL", ts: str | None = None
) -> Json:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or f"{time.time():.6f}",
        "channel": channel,
        "team": TEAM_ID,
        "event_ts": f"{time.time():.6f}",
    }


def dm_event(text: str, *, user: str = "U0ALICE", channel: str = "D0ALICE") -> Json:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "channel": channel,
        "team": TEAM_ID,
        "event_ts": f"{time.time():.6f}",
    }
