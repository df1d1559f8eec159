"""Block Kit for the review flow: the review message, the Edit and Request-changes modals, and what
the author is told. Pure functions from bot.review values to Slack payloads (tested without a network).

The review message's buttons carry the draft id and variant (`blocks.ActionValue`), so a click works on
any replica and after a restart; a modal carries the message it came from in `private_metadata`, so
its submission can update that message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack.blocks import (
    EDIT,
    MAX_BLOCKS,
    SEND_FOR_REVIEW,
    ActionValue,
    Block,
    button,
    context_block,
    escape,
    mention,
    sections,
)
from bot.catalog import Catalog
from bot.review_types import ReviewStatus, Revision

APPROVE = "pp_review_approve"
CHANGES = "pp_review_changes"
REVISE = "pp_review_revise"  # Edit on the review message: the message shows the new revision
REVIEW_BLOCK = "pp_review"
MODAL_PREFIX = "pp_review_modal_"
EDIT_MODAL = "pp_review_modal_edit"
CHANGES_MODAL = "pp_review_modal_changes"
TEXT_BLOCK, TEXT_INPUT = "pp_review_text", "pp_review_text_input"
NOTE_BLOCK, NOTE_INPUT = "pp_review_note", "pp_review_note_input"
INPUT_LIMIT = 3000  # Slack's cap on a plain_text_input
NOTE_LIMIT = 1000


@dataclass(frozen=True)
class ModalMeta:
    """What a modal's submission needs: the draft, and the message to update (`review`: it is a
    review message, re-rendered with the new state)."""

    draft_id: str
    variant: int
    channel: str
    ts: str
    review: bool

    def encode(self) -> str:
        data = {"d": self.draft_id, "v": self.variant, "c": self.channel, "t": self.ts, "r": self.review}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> ModalMeta:
        """Raises ValueError for metadata this app did not write."""
        data = json.loads(raw or "null")
        if not isinstance(data, dict) or not isinstance(data.get("d"), str):
            raise ValueError("not PostPulse modal metadata")
        return cls(str(data["d"]), int(data.get("v", 0)), str(data["c"]), str(data["t"]), bool(data.get("r")))


def state_line(status: ReviewStatus) -> str:
    if status.state == "approved":
        event = status.last_event("approve")
        who = f" by {mention(event.actor_id)}" if event else ""
        number = status.approved.number if status.approved is not None else 0
        return f"✅ *Approved*{who} (revision {number})"
    if status.state == "changes_requested":
        event = status.last_event("changes")
        who = f" by {mention(event.actor_id)}" if event else ""
        note = f": “{escape(event.note)}”" if event and event.note else ""
        return f"✏️ *Changes requested*{who}{note}"
    if status.state == "in_review":
        return "⏳ Waiting for a reviewer — Approve, Request changes or Edit"
    return "Draft — not sent for review"


def _headline(status: ReviewStatus, revision: Revision, catalog: Catalog, mentions: Sequence[str]) -> str:
    draft = status.draft
    asked = status.last_event("review")
    requester = asked.actor_id if asked else draft.origin.user_id
    platform = catalog.platforms[draft.brief.platform].display_name
    edited = f" by {mention(revision.author_id)}" if revision.number else ""
    parts = [
        f"📝 Review requested by {mention(requester)}",
        platform,
        escape(draft.brief.tone),
        f"{len(revision.text):,}/{draft.platform_limit:,} chars",
        f"revision {revision.number}{edited}",
    ]
    line = " · ".join(parts)
    return f"{line} — {' '.join(mentions)}" if mentions else line


def review_message(
    status: ReviewStatus, variant: int, catalog: Catalog, mentions: Sequence[str] = ()
) -> tuple[str, list[Block]]:
    """The message in the review channel: who asked, the text, the state, and while it is in review
    Approve / Request changes / Edit (after changes were requested, Edit alone)."""
    revision = status.shown(variant)
    value = ActionValue(status.draft.id, revision.variant)
    out: list[Block] = [context_block(_headline(status, revision, catalog, mentions))]
    out += sections(escape(revision.text))
    out.append(context_block(state_line(status)))
    buttons: list[Block] = []
    if status.state == "in_review":
        buttons = [
            button("Approve", APPROVE, value, "primary"),
            button("Request changes", CHANGES, value, "danger"),
            button("Edit", REVISE, value),
        ]
    elif status.state == "changes_requested":
        buttons = [button("Edit", REVISE, value)]
    if buttons:
        out.append({"type": "actions", "block_id": REVIEW_BLOCK, "elements": buttons})
    if len(out) > MAX_BLOCKS:
        out = [*out[: MAX_BLOCKS - 2], *out[-2:]]
    fallback = f"Review requested: {revision.text}"
    return escape(fallback[:3000]), out


def outcome_message(status: ReviewStatus, variant: int) -> tuple[str, list[Block]]:
    """What the author is told (a DM): approved, with the text to post; or the reviewer's note, with
    Edit and Send for review to go again."""
    revision = status.shown(variant)
    if status.state == "approved":
        event = status.last_event("approve")
        who = mention(event.actor_id) if event else "A reviewer"
        head = f"✅ {who} approved your draft — ready to post (revision {revision.number}):"
    else:
        event = status.last_event("changes")
        who = mention(event.actor_id) if event else "A reviewer"
        note = f" “{escape(event.note)}”" if event and event.note else ""
        head = f"✏️ {who} asked for changes to your draft:{note}"
    out = [context_block(head), *sections(escape(revision.text))]
    if status.state == "changes_requested":
        value = ActionValue(status.draft.id, revision.variant)
        out.append(
            {
                "type": "actions",
                "block_id": REVIEW_BLOCK,
                "elements": [button("Edit", EDIT, value), button("Send for review", SEND_FOR_REVIEW, value)],
            }
        )
    plain = head.replace("*", "")
    return plain[:3000], out[:MAX_BLOCKS]


def _modal(callback_id: str, title: str, submit: str, meta: ModalMeta, block: Block) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": meta.encode(),
        "blocks": [block],
    }


def edit_modal(text: str, meta: ModalMeta, limit: int) -> dict[str, Any]:
    """The text to edit, pre-filled; saving makes a new revision."""
    cap = min(limit, INPUT_LIMIT)
    block: Block = {
        "type": "input",
        "block_id": TEXT_BLOCK,
        "label": {"type": "plain_text", "text": f"Post text (up to {cap:,} characters)"},
        "element": {
            "type": "plain_text_input",
            "action_id": TEXT_INPUT,
            "multiline": True,
            "initial_value": text[:cap],
            "max_length": cap,
        },
    }
    return _modal(EDIT_MODAL, "Edit the draft", "Save", meta, block)


def changes_modal(meta: ModalMeta) -> dict[str, Any]:
    block: Block = {
        "type": "input",
        "block_id": NOTE_BLOCK,
        "label": {"type": "plain_text", "text": "What should change?"},
        "element": {
            "type": "plain_text_input",
            "action_id": NOTE_INPUT,
            "multiline": True,
            "max_length": NOTE_LIMIT,
            "placeholder": {
                "type": "plain_text",
                "text": "e.g. Lead with the price, drop the second hashtag",
            },
        },
    }
    return _modal(CHANGES_MODAL, "Request changes", "Send", meta, block)


def submitted(view: dict[str, Any], block_id: str, action_id: str) -> str:
    """A modal input's value from a view_submission ('' when absent)."""
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(block_id) or {}).get(action_id) or {}).get("value") or "")
