"""The review flow in Slack: Send for review, Approve, Request changes, Edit (bot.review does the
deciding; this module converts clicks and modal submissions into its calls and renders the result).

Send for review posts the draft to the channel's review channel (`/postpulse defaults
review:#marketing-review`; without one, the draft's own channel) and mentions the reviewers. Approve
and Request changes are for reviewers: anyone else is told so, only to them, and nothing changes.
Edit opens a modal with the text (`views.open`; the message to update rides in `private_metadata`).
The author hears every outcome in a DM from the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, review_blocks
from adapters.slack.replies import CANNOT_POST, Replies, Where
from adapters.slack.review_blocks import ModalMeta
from adapters.slack.roles import SlackRoles
from bot.assistant import Assistant, Origin
from bot.catalog import Catalog
from bot.errors import DuplicateDelivery
from bot.review_types import ReviewStatus

log = logging.getLogger(__name__)

NOT_A_REVIEWER = "Only reviewers can approve drafts or request changes — ask one of your team's reviewers."


class ReviewFlow:
    def __init__(
        self,
        client: AsyncWebClient,
        assistant: Callable[[], Assistant],
        catalog: Catalog,
        roles: SlackRoles,
        replies: Replies,
    ) -> None:
        self.client = client
        self.assistant = assistant
        self.catalog = catalog
        self.roles = roles
        self.replies = replies

    async def action(
        self,
        origin: Origin,
        action_id: str,
        value: blocks.ActionValue,
        where: Where,
        ts: str,
        trigger_id: str,
    ) -> None:
        """A click on a review button (draft message, review message or the author's DM)."""
        try:
            if action_id == blocks.SEND_FOR_REVIEW:
                await self.send(origin, value, where)
            elif action_id in (blocks.EDIT, review_blocks.REVISE):
                await self.open_edit(origin, value, where, ts, trigger_id, action_id == review_blocks.REVISE)
            elif action_id == review_blocks.CHANGES:
                if not origin.can("reviewer"):
                    await self.replies.ephemeral(where, *blocks.notice_message(NOT_A_REVIEWER))
                    return
                meta = ModalMeta(value.draft_id, value.variant, where.channel, ts, review=True)
                await self.client.views_open(trigger_id=trigger_id, view=review_blocks.changes_modal(meta))
            elif action_id == review_blocks.APPROVE:
                await self.approve(origin, value, where, ts)
            else:
                log.warning("unknown review action %s", action_id)
        except DuplicateDelivery:
            return
        except Exception as exc:
            await self.replies.notice(where, exc)

    async def send(self, origin: Origin, value: blocks.ActionValue, where: Where) -> None:
        """The review channel is the one set for the draft's own channel (a click in the author's DM
        still reaches it); without one, the draft's channel."""
        assistant = self.assistant()
        draft = await assistant.get(origin, value.draft_id)
        home = draft.origin
        defaults = await assistant.store.defaults.get(home.front_door, home.workspace_id, home.channel_id)
        channel = str(defaults.get("review") or home.channel_id or where.channel)
        status = await assistant.reviews.submit(origin, value.draft_id, value.variant)
        text, message = review_blocks.review_message(
            status, value.variant, self.catalog, self.roles.reviewer_mentions()
        )
        try:
            posted = await self.client.chat_postMessage(channel=channel, text=text, blocks=message)
        except SlackApiError as exc:
            log.warning("cannot post the review in %s: %s", channel, exc.response.get("error"))
            await self.replies.ephemeral(
                where, *blocks.notice_message(f"{CANNOT_POST} (the review channel {channel})")
            )
            return
        shown = f"<#{posted['channel']}>" if str(posted["channel"]).startswith(("C", "G")) else "review"
        await self.replies.ephemeral(
            where, f"Sent for review in {shown}.", [blocks.context_block(f"📝 Sent for review in {shown}.")]
        )

    async def open_edit(
        self, origin: Origin, value: blocks.ActionValue, where: Where, ts: str, trigger_id: str, review: bool
    ) -> None:
        """The modal opens pre-filled with the variant's latest revision; bot.review decides on save
        whether this person may edit (the author or a reviewer)."""
        status = await self.assistant().reviews.status(origin, value.draft_id)
        if status.state == "approved":
            await self.replies.ephemeral(
                where, *blocks.notice_message("This draft is approved; its text can no longer change.")
            )
            return
        revision = status.latest(value.variant)
        meta = ModalMeta(value.draft_id, value.variant, where.channel, ts, review=review)
        view = review_blocks.edit_modal(revision.text, meta, status.draft.platform_limit)
        await self.client.views_open(trigger_id=trigger_id, view=view)

    async def approve(self, origin: Origin, value: blocks.ActionValue, where: Where, ts: str) -> None:
        if not origin.can("reviewer"):
            await self.replies.ephemeral(where, *blocks.notice_message(NOT_A_REVIEWER))
            return
        status = await self.assistant().reviews.approve(origin, value.draft_id, value.variant)
        await self._show(where.channel, ts, status, value.variant)
        await self._tell_author(status, value.variant)

    async def submitted(
        self, origin: Origin, callback_id: str, meta: ModalMeta, view: dict[str, object]
    ) -> None:
        """A modal's submission (acknowledged already): store it, update the message, tell the author."""
        where = Where(channel=meta.channel, user=origin.user_id)
        try:
            reviews = self.assistant().reviews
            if callback_id == review_blocks.CHANGES_MODAL:
                note = review_blocks.submitted(view, review_blocks.NOTE_BLOCK, review_blocks.NOTE_INPUT)
                status = await reviews.request_changes(origin, meta.draft_id, note.strip())
                await self._show(meta.channel, meta.ts, status, meta.variant)
                await self._tell_author(status, meta.variant)
                return
            text = review_blocks.submitted(view, review_blocks.TEXT_BLOCK, review_blocks.TEXT_INPUT)
            status = await reviews.edit(origin, meta.draft_id, meta.variant, text)
        except DuplicateDelivery:
            return
        except Exception as exc:
            await self.replies.notice(where, exc)
            return
        if meta.review:
            await self._show(meta.channel, meta.ts, status, meta.variant)
        number = status.latest(meta.variant).number
        await self.replies.ephemeral(
            where, *blocks.notice_message(f"Saved your edit as revision {number} of this draft.")
        )

    async def _show(self, channel: str, ts: str, status: ReviewStatus, variant: int) -> None:
        text, message = review_blocks.review_message(
            status,
            variant,
            self.catalog,
            self.roles.reviewer_mentions() if status.state == "in_review" else (),
        )
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=message)
        except SlackApiError as exc:
            log.warning("could not update review message %s: %s", ts, exc.response.get("error"))

    async def _tell_author(self, status: ReviewStatus, variant: int) -> None:
        author = status.draft.origin.user_id
        text, message = review_blocks.outcome_message(status, variant)
        try:
            await self.client.chat_postMessage(channel=author, text=text, blocks=message)
        except SlackApiError as exc:
            log.warning("could not tell author %s: %s", author, exc.response.get("error"))
