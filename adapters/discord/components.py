"""The buttons and the tone select under a draft. They survive restarts.

Every component's `custom_id` carries the draft id (`pp:<action>:<draft>[:<variant>]`), and each kind
is a discord.py `DynamicItem` registered once at start-up (`add_dynamic_items` in setup_hook), inside
views with `timeout=None`. A plain `add_view` persists only views whose custom ids are known at
start-up (or one view per stored message id); a DynamicItem matches a template, so a click on any
draft's message, however old and whichever process sent it, reaches the right draft.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, cast

import discord
from discord import ui

from adapters.discord.gate import refusal, refuse
from bot.assistant import StoredDraft
from bot.catalog import Catalog

if TYPE_CHECKING:
    from adapters.discord.responding import Responder
    from adapters.discord.review import ReviewFlow

PREFIX = "pp"
MAX_OPTIONS = 25  # Discord's limit for a select's options
_DRAFT = r"(?P<draft>[A-Za-z0-9_-]{1,80})"


def _responder(interaction: discord.Interaction[Any]) -> Responder:
    return cast("Responder", interaction.client.responder)  # type: ignore[attr-defined]


def _review(interaction: discord.Interaction[Any]) -> ReviewFlow:
    return cast("ReviewFlow", interaction.client.review)  # type: ignore[attr-defined]


class _Gated:
    """The allow-list applies to clicks too (an old message may sit in a channel no longer served)."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        reason = refusal(interaction, interaction.client.config)  # type: ignore[attr-defined]
        if reason is not None:
            await refuse(interaction, reason)
            return False
        return True


class RemixButton(
    _Gated,
    ui.DynamicItem[ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>regenerate|shorter|longer):{_DRAFT}",
):
    LABELS: ClassVar[dict[str, tuple[str, str]]] = {
        "regenerate": ("Regenerate", "🔁"),
        "shorter": ("Shorter", "➖"),
        "longer": ("Longer", "➕"),
    }

    def __init__(self, action: str, draft_id: str, row: int | None = None) -> None:
        label, emoji = self.LABELS[action]
        super().__init__(
            ui.Button(
                label=label,
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                row=row,
                custom_id=f"{PREFIX}:{action}:{draft_id}",
            )
        )
        self.action, self.draft_id = action, draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> RemixButton:
        return cls(match["action"], match["draft"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _responder(interaction).remix(interaction, self.draft_id, self.action)


class RateButton(
    _Gated, ui.DynamicItem[ui.Button[Any]], template=rf"{PREFIX}:(?P<rating>up|down):{_DRAFT}:(?P<variant>\d)"
):
    def __init__(
        self, rating: str, draft_id: str, variant: int, label: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(
            ui.Button(
                label=label,
                emoji="👍" if rating == "up" else "👎",
                row=row,
                style=discord.ButtonStyle.secondary,
                custom_id=f"{PREFIX}:{rating}:{draft_id}:{variant}",
            )
        )
        self.rating, self.draft_id, self.variant = rating, draft_id, variant

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> RateButton:
        return cls(match["rating"], match["draft"], int(match["variant"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _responder(interaction).rate(interaction, self.draft_id, self.variant, self.rating)


class UseButton(_Gated, ui.DynamicItem[ui.Button[Any]], template=rf"{PREFIX}:use:{_DRAFT}:(?P<variant>\d)"):
    def __init__(self, draft_id: str, variant: int, label: str = "Use this", row: int | None = None) -> None:
        super().__init__(
            ui.Button(
                label=label,
                emoji="✅",
                style=discord.ButtonStyle.success,
                row=row,
                custom_id=f"{PREFIX}:use:{draft_id}:{variant}",
            )
        )
        self.draft_id, self.variant = draft_id, variant

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> UseButton:
        return cls(match["draft"], int(match["variant"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _responder(interaction).choose(interaction, self.draft_id, self.variant)


class ToneSelect(_Gated, ui.DynamicItem[ui.Select[Any]], template=rf"{PREFIX}:tone:{_DRAFT}"):
    def __init__(
        self, draft_id: str, tones: list[str], current: str | None = None, row: int | None = None
    ) -> None:
        options = [discord.SelectOption(label=t, value=t) for t in tones if t != current][:MAX_OPTIONS]
        super().__init__(
            ui.Select(
                placeholder=f"Tone: {current} — try another…" if current else "Change tone…",
                options=options,
                custom_id=f"{PREFIX}:tone:{draft_id}",
                row=row,
            )
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ToneSelect:
        # The options only matter when rendering; a click needs the chosen value (item.values).
        made = cls(match["draft"], [o.value for o in getattr(item, "options", [])] or ["professional"])
        return made

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = self.item.values
        await _responder(interaction).remix(interaction, self.draft_id, "tone", values[0] if values else None)


class ReviewButton(
    _Gated,
    ui.DynamicItem[ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>send|edit|approve|changes|revise):{_DRAFT}:(?P<variant>\d)",
):
    """The review flow (adapters.discord.review): Send for review and Edit under a draft and in the
    author's notice; Approve, Request changes and Edit (`revise`: the message shows the new revision)
    on the review message."""

    LOOKS: ClassVar[dict[str, tuple[str, str, discord.ButtonStyle]]] = {
        "send": ("Send for review", "📝", discord.ButtonStyle.secondary),
        "edit": ("Edit", "✏️", discord.ButtonStyle.secondary),
        "approve": ("Approve", "✅", discord.ButtonStyle.success),
        "changes": ("Request changes", "↩️", discord.ButtonStyle.danger),
        "revise": ("Edit", "✏️", discord.ButtonStyle.secondary),
    }

    def __init__(self, action: str, draft_id: str, variant: int, row: int | None = None) -> None:
        label, emoji, style = self.LOOKS[action]
        super().__init__(
            ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                row=row,
                custom_id=f"{PREFIX}:{action}:{draft_id}:{variant}",
            )
        )
        self.action, self.draft_id, self.variant = action, draft_id, variant

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(match["action"], match["draft"], int(match["variant"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _review(interaction).clicked(interaction, self.action, self.draft_id, self.variant)


DYNAMIC_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (
    RemixButton,
    RateButton,
    UseButton,
    ToneSelect,
    ReviewButton,
)
REVIEW_ROW_ROOM = 3  # with more variants, row 2 is full of "Use" buttons


def draft_view(draft: StoredDraft, catalog: Catalog) -> ui.View:
    """Regenerate/Shorter/Longer, a tone select, and 👍/👎/"Use this" for each variant (5 rows at most:
    one variant fits 👍/👎 beside the remix buttons; several get a row each of use/👍/👎), then Send
    for review and Edit beside "Use" while that row has room (up to three variants)."""
    view = ui.View(timeout=None)
    for action in ("regenerate", "shorter", "longer"):
        view.add_item(RemixButton(action, draft.id, row=0))
    many = len(draft.variants) > 1
    if not many:
        view.add_item(RateButton("up", draft.id, 0, row=0))
        view.add_item(RateButton("down", draft.id, 0, row=0))
    view.add_item(ToneSelect(draft.id, sorted(catalog.tones), current=draft.brief.tone, row=1))
    for i in range(min(len(draft.variants), 5)):
        number = f" {i + 1}" if many else ""
        view.add_item(UseButton(draft.id, i, label=f"Use{number}" if many else "Use this", row=2))
        if many:
            view.add_item(RateButton("up", draft.id, i, label=str(i + 1), row=3))
            view.add_item(RateButton("down", draft.id, i, label=str(i + 1), row=4))
    if len(draft.variants) <= REVIEW_ROW_ROOM:
        variant = draft.chosen_variant or 0
        view.add_item(ReviewButton("send", draft.id, variant, row=2))
        view.add_item(ReviewButton("edit", draft.id, variant, row=2))
    return view
