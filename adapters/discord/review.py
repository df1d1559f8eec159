"""The review flow on Discord: Send for review, Approve, Request changes and Edit, with discord.py
modals. bot.review decides; this module converts clicks and modal submissions into its calls.

Send for review posts the draft in the channel's review channel (`/postpulse-defaults review:#…`,
else the draft's own channel) and mentions the reviewer role. Approve and Request changes are for
members holding that role: anyone else is told so, only to them, and nothing changes. Edit opens a
modal with the text (the author on their own draft, or a reviewer). The author hears every outcome
in the draft's channel, mentioned by name.

A button needs no state (its custom_id carries the draft: adapters.discord.components.ReviewButton);
a modal lives in this process until it is submitted or times out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from adapters.discord.components import ReviewButton
from adapters.discord.gate import NO_PINGS
from adapters.discord.render import MESSAGE_LIMIT, platform_name
from adapters.discord.roles import reviewer_role
from bot.catalog import Catalog
from bot.messages import user_message

if TYPE_CHECKING:
    from adapters.discord.responding import Responder
    from bot.review_types import ReviewStatus

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
NOT_A_REVIEWER = "Only reviewers can approve drafts or request changes — ask someone with the reviewer role."
INPUT_LIMIT = 4000  # Discord's cap on a text input
NOTE_LIMIT = 1000
MODAL_TIMEOUT_S = 900.0


def state_line(status: ReviewStatus) -> str:
    if status.state == "approved":
        event = status.last_event("approve")
        who = f" by <@{event.actor_id}>" if event else ""
        number = status.approved.number if status.approved is not None else 0
        return f"✅ **Approved**{who} (revision {number})"
    if status.state == "changes_requested":
        event = status.last_event("changes")
        who = f" by <@{event.actor_id}>" if event else ""
        note = f": “{event.note}”" if event and event.note else ""
        return f"↩️ **Changes requested**{who}{note}"
    if status.state == "in_review":
        return "⏳ Waiting for a reviewer"
    return "Draft — not sent for review"


def review_content(status: ReviewStatus, variant: int, catalog: Catalog, mention: str | None = None) -> str:
    """The review message: who asked, the text (cut to fit one message), the state."""
    draft = status.draft
    revision = status.shown(variant)
    asked = status.last_event("review")
    requester = asked.actor_id if asked else draft.origin.user_id
    edited = f" by <@{revision.author_id}>" if revision.number else ""
    head = (
        f"📝 **Review requested** by <@{requester}> · {platform_name(catalog, draft.brief.platform)} · "
        f"{draft.brief.tone} · {len(revision.text):,}/{draft.platform_limit:,} chars · "
        f"revision {revision.number}{edited}"
    )
    if mention:
        head += f" — {mention}"
    tail = f"\n-# {state_line(status)}"
    room = MESSAGE_LIMIT - len(head) - len(tail) - 2
    body = revision.text.strip()
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return f"{head}\n\n{body}{tail}"


def review_view(status: ReviewStatus, variant: int) -> ui.View | None:
    """Approve / Request changes / Edit while in review; Edit alone after changes were requested."""
    actions = {"in_review": ("approve", "changes", "revise"), "changes_requested": ("revise",)}
    wanted = actions.get(status.state, ())
    if not wanted:
        return None
    view = ui.View(timeout=None)
    for action in wanted:
        view.add_item(ReviewButton(action, status.draft.id, variant))
    return view


def outcome_content(status: ReviewStatus, variant: int) -> str:
    """The author's notice: approved (with the text to post), or the reviewer's note."""
    author = status.draft.origin.user_id
    revision = status.shown(variant)
    if status.state == "approved":
        event = status.last_event("approve")
        who = f"<@{event.actor_id}>" if event else "A reviewer"
        head = f"<@{author}> ✅ {who} approved your draft — ready to post (revision {revision.number}):"
    else:
        event = status.last_event("changes")
        who = f"<@{event.actor_id}>" if event else "A reviewer"
        note = f" “{event.note}”" if event and event.note else ""
        head = f"<@{author}> ↩️ {who} asked for changes to your draft:{note}"
    body = revision.text.strip()
    room = MESSAGE_LIMIT - len(head) - 2
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return f"{head}\n\n{body}"


def _with(view: ui.View | None) -> dict[str, Any]:
    return {"view": view} if view is not None else {}


class EditModal(ui.Modal):
    def __init__(
        self, flow: ReviewFlow, draft_id: str, variant: int, text: str, limit: int, review: bool
    ) -> None:
        super().__init__(title="Edit the draft", timeout=MODAL_TIMEOUT_S)
        cap = min(limit, INPUT_LIMIT)
        self.flow, self.draft_id, self.variant, self.review = flow, draft_id, variant, review
        self.text: ui.TextInput[EditModal] = ui.TextInput(
            label=f"Post text (up to {cap:,} characters)",
            style=discord.TextStyle.paragraph,
            default=text[:cap],
            max_length=cap,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: Interaction, /) -> None:
        await self.flow.edited(interaction, self.draft_id, self.variant, self.text.value, self.review)


class ChangesModal(ui.Modal):
    def __init__(self, flow: ReviewFlow, draft_id: str, variant: int) -> None:
        super().__init__(title="Request changes", timeout=MODAL_TIMEOUT_S)
        self.flow, self.draft_id, self.variant = flow, draft_id, variant
        self.note: ui.TextInput[ChangesModal] = ui.TextInput(
            label="What should change?",
            style=discord.TextStyle.paragraph,
            placeholder="e.g. Lead with the price, drop the second hashtag",
            max_length=NOTE_LIMIT,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: Interaction, /) -> None:
        await self.flow.changes(interaction, self.draft_id, self.variant, self.note.value)


@dataclass
class ReviewFlow:
    """What ReviewButton and the modals call; shares the Responder's Assistant, catalogue and roles."""

    responder: Responder

    async def clicked(self, interaction: Interaction, action: str, draft_id: str, variant: int) -> None:
        origin = self.responder.origin(interaction)
        if action in ("approve", "changes") and not origin.can("reviewer"):
            await interaction.response.send_message(
                "⚠️ " + NOT_A_REVIEWER, ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        if action == "changes":
            await interaction.response.send_modal(ChangesModal(self, draft_id, variant))
        elif action in ("edit", "revise"):
            await self._open_edit(interaction, draft_id, variant, review=action == "revise")
        elif action == "approve":
            await self._approve(interaction, draft_id, variant)
        else:
            await self._send(interaction, draft_id, variant)

    async def _open_edit(
        self, interaction: Interaction, draft_id: str, variant: int, *, review: bool
    ) -> None:
        """A modal must be the interaction's first answer: the text is read (one store read) first."""
        try:
            status = await self.responder.assistant.reviews.status(
                self.responder.origin(interaction), draft_id
            )
        except Exception as exc:
            await self._refuse(interaction, exc)
            return
        if status.state == "approved":
            await interaction.response.send_message(
                "⚠️ This draft is approved; its text can no longer change.",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        text = status.latest(variant).text
        modal = EditModal(self, draft_id, variant, text, status.draft.platform_limit, review)
        await interaction.response.send_modal(modal)

    async def _send(self, interaction: Interaction, draft_id: str, variant: int) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        origin = self.responder.origin(interaction)
        assistant = self.responder.assistant
        try:
            draft = await assistant.get(origin, draft_id)
            chosen = draft.chosen_variant if draft.chosen_variant is not None else variant
            status = await assistant.reviews.submit(origin, draft_id, chosen)
            home = draft.origin  # the review channel set for the draft's own channel, else that channel
            defaults = await assistant.store.defaults.get(home.front_door, home.workspace_id, home.channel_id)
            channel_id = int(str(defaults.get("review") or home.channel_id or interaction.channel_id))
            role = reviewer_role(interaction.guild, self.responder.roles)
            content = review_content(status, chosen, self.responder.catalog, role.mention if role else None)
            channel = interaction.client.get_partial_messageable(channel_id, guild_id=interaction.guild_id)
            pings = discord.AllowedMentions(everyone=False, users=False, roles=[role] if role else False)
            await channel.send(content, allowed_mentions=pings, **_with(review_view(status, chosen)))
        except Exception as exc:
            await self.responder._say_privately(interaction, exc, edit=True)
            return
        await interaction.edit_original_response(
            content=f"📝 Sent for review in <#{channel_id}>.", allowed_mentions=NO_PINGS
        )

    async def _approve(self, interaction: Interaction, draft_id: str, variant: int) -> None:
        await interaction.response.defer()  # a click: the review message itself is then edited
        try:
            status = await self.responder.assistant.reviews.approve(
                self.responder.origin(interaction), draft_id, variant
            )
        except Exception as exc:
            await self.responder._say_privately(interaction, exc)
            return
        await self._show(interaction, status, variant)
        await self._tell_author(interaction, status, variant)

    async def edited(
        self, interaction: Interaction, draft_id: str, variant: int, text: str, review: bool
    ) -> None:
        """The Edit modal submitted: a new revision; the review message shows it."""
        if review:
            await interaction.response.defer()
        else:
            await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            status = await self.responder.assistant.reviews.edit(
                self.responder.origin(interaction), draft_id, variant, text
            )
        except Exception as exc:
            await self.responder._say_privately(interaction, exc, edit=not review)
            return
        number = status.latest(variant).number
        saved = f"✏️ Saved your edit as revision {number} of this draft."
        if review:
            await self._show(interaction, status, variant)
            await interaction.followup.send(saved, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.edit_original_response(content=saved, allowed_mentions=NO_PINGS)

    async def changes(self, interaction: Interaction, draft_id: str, variant: int, note: str) -> None:
        await interaction.response.defer()
        try:
            status = await self.responder.assistant.reviews.request_changes(
                self.responder.origin(interaction), draft_id, note.strip()
            )
        except Exception as exc:
            await self.responder._say_privately(interaction, exc)
            return
        await self._show(interaction, status, variant)
        await self._tell_author(interaction, status, variant)

    async def _show(self, interaction: Interaction, status: ReviewStatus, variant: int) -> None:
        content = review_content(status, variant, self.responder.catalog)
        try:
            await interaction.edit_original_response(
                content=content, view=review_view(status, variant), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            log.warning("could not update the review message of %s: %s", status.draft.id, exc)

    async def _tell_author(self, interaction: Interaction, status: ReviewStatus, variant: int) -> None:
        draft = status.draft
        if not draft.origin.channel_id:
            return
        view: ui.View | None = None
        if status.state == "changes_requested":
            view = ui.View(timeout=None)
            view.add_item(ReviewButton("edit", draft.id, variant))
            view.add_item(ReviewButton("send", draft.id, variant))
        channel = interaction.client.get_partial_messageable(
            int(draft.origin.channel_id), guild_id=interaction.guild_id
        )
        author = discord.Object(int(draft.origin.user_id))
        try:
            await channel.send(
                outcome_content(status, variant),
                **_with(view),
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[author]),
            )
        except discord.HTTPException as exc:
            log.warning("could not tell the author of %s: %s", draft.id, exc)

    async def _refuse(self, interaction: Interaction, exc: BaseException) -> None:
        await interaction.response.send_message(
            "⚠️ " + user_message(exc), ephemeral=True, allowed_mentions=NO_PINGS
        )
