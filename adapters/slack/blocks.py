"""Block Kit: the "Drafting…" line, the streaming view, the final draft with its buttons, info and errors.

Pure functions from bot values to Slack payloads, so they are tested without a network. Every
message also carries a plain `text` fallback (notifications, screen readers). Button and option values
carry the draft id (as compact JSON), so a click works on any replica and after a restart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.assistant import Info, StoredDraft
from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats import Parts

Block = dict[str, Any]

SECTION_LIMIT = 3000  # Slack's cap on a section's text
MAX_BLOCKS = 50
ACTION_PREFIX = "pp_"
CURSOR = " ▍"

# action_id -> what it does; "use" and the rating buttons carry a variant index in their value.
REGENERATE = "pp_regenerate"
SHORTER = "pp_shorter"
LONGER = "pp_longer"
TONE = "pp_tone"
PLATFORM = "pp_platform"
RATE_UP = "pp_rate_up"
RATE_DOWN = "pp_rate_down"
USE = "pp_use"  # pp_use_<variant>: unique per block, one regex listener
# The review flow (adapters/slack/review.py; its own listener, so the draft buttons' one skips them).
REVIEW_PREFIX = "pp_review_"
SEND_FOR_REVIEW = "pp_review_send"
EDIT = "pp_review_edit"

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?…])\s+"), re.compile(r"\s+"))


@dataclass(frozen=True)
class ActionValue:
    draft_id: str
    variant: int = 0
    choice: str | None = None  # a select's tone/platform

    def encode(self) -> str:
        data: dict[str, Any] = {"d": self.draft_id}
        if self.variant:
            data["v"] = self.variant
        if self.choice is not None:
            data["c"] = self.choice
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> ActionValue:
        """Raises ValueError for a value this app did not write."""
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("d"), str):
            raise ValueError("not a PostPulse action value")
        return cls(str(data["d"]), int(data.get("v", 0)), data.get("c"))


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word when one is
    near enough to the limit (past its middle); mid-word only for text without any break."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for pattern in _BREAKS:
            ends = [m for m in pattern.finditer(window) if m.start() >= limit // 2 and m.start() <= limit]
            if ends:
                cut = ends[-1].start()
                nxt = ends[-1].end()
                break
        if cut <= 0:
            cut = nxt = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[nxt:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def escape(text: str) -> str:
    """Slack's three control characters (its formatting rules: &, <, >), so nothing a user or the
    model wrote becomes a live mention (`<!channel>`, `<@U…>`), a link or a user-group ping. The
    model's *bold* and _italics_ stay. Every text the app sends passes through here: block texts,
    the `text` fallbacks, thread stream chunks, notices, help and defaults."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sections(text: str) -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_text(text)]


def context_block(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def describe(brief: Brief, catalog: Catalog) -> str:
    """E.g. "a casual LinkedIn post", "a casual X (Twitter) thread", or "3 casual LinkedIn posts"."""
    platform = catalog.platforms[brief.platform].display_name
    if brief.format != "post":
        return f"a {brief.tone} {platform} {brief.format}"
    if brief.variants > 1:
        return f"{brief.variants} {brief.tone} {platform} posts"
    article = "an" if brief.tone[:1] in "aeiou" else "a"
    return f"{article} {brief.tone} {platform} post"


def drafting_line(brief: Brief, catalog: Catalog, user_id: str, verb: str = "Drafting") -> str:
    return f"{verb} {describe(brief, catalog)} for {mention(user_id)}…"


def progress_message(headline: str, partial: str) -> tuple[str, list[Block]]:
    """The message while the model writes: the headline, then the text so far with a cursor."""
    blocks = [context_block(headline)]
    if partial.strip():
        blocks += sections(escape(partial.strip()) + CURSOR)
    return headline, blocks[:MAX_BLOCKS]


def context_line(draft: StoredDraft, catalog: Catalog, variant: int = 0) -> str:
    post = draft.variants[variant]
    platform = catalog.platforms[draft.brief.platform].display_name
    size = [f"{post.character_count:,}/{draft.platform_limit:,} chars", f"{post.word_count} words"]
    if draft.parts is not None:
        size = [parts_size(draft.parts, draft.platform_limit)]
    return " · ".join(
        [
            platform,
            draft.brief.tone,
            *size,
            draft.generation_time,
            draft.model,
        ]
    )


def parts_size(parts: Parts, limit: int) -> str:
    """ "3 posts, longest 241/280 chars" or "5 slides, caption 312/2,200 chars"."""
    if parts.kind == "thread":
        longest = max((len(p.text) for p in parts.posts), default=0)
        return f"{len(parts.posts)} posts, longest {longest:,}/{limit:,} chars"
    return f"{len(parts.slides)} slides, caption {len(parts.caption or ''):,}/{limit:,} chars"


def button(label: str, action_id: str, value: ActionValue, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value.encode(),
    }
    if style:
        button["style"] = style
    return button


def _select(action_id: str, placeholder: str, draft_id: str, names: dict[str, str], current: str) -> Block:
    options = [
        {
            "text": {"type": "plain_text", "text": label[:75]},
            "value": ActionValue(draft_id, choice=name).encode(),
        }
        for name, label in list(names.items())[:100]
    ]
    select: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": placeholder},
        "options": options,
    }
    chosen = [opt for opt, name in zip(options, names, strict=False) if name == current]
    if chosen:
        select["initial_option"] = chosen[0]
    return select


def actions_block(draft: StoredDraft, catalog: Catalog) -> Block:
    rated = draft.chosen_variant or 0  # 👍/👎 rate the chosen variant (the first until one is chosen)
    value = ActionValue(draft.id, rated)
    tones = {name: name for name in catalog.tones}
    platforms = {name: p.display_name for name, p in catalog.platforms.items()}
    return {
        "type": "actions",
        "block_id": "pp_actions",
        "elements": [
            button("Regenerate", REGENERATE, value),
            button("Shorter", SHORTER, value),
            button("Longer", LONGER, value),
            _select(TONE, "Tone", draft.id, tones, draft.brief.tone),
            _select(PLATFORM, "Platform", draft.id, platforms, draft.brief.platform),
            button("👍", RATE_UP, value),
            button("👎", RATE_DOWN, value),
            button("Send for review", SEND_FOR_REVIEW, value),
            button("Edit", EDIT, value),  # the author's own draft (bot.review checks who may)
        ],
    }


def parts_sections(parts: Parts) -> list[Block]:
    """A thread or carousel: one section per post or slide, in order, then the caption's, so each
    part is copied on its own (a caption over 3,000 characters takes two)."""
    if parts.kind == "thread":
        return [section for post in parts.posts for section in sections(escape(post.text))]
    out = [
        section
        for slide in parts.slides
        for section in sections(f"*{slide.number}. {escape(slide.headline)}*\n{escape(slide.text)}")
    ]
    return out + (sections(f"*Caption*\n{escape(parts.caption)}") if parts.caption else [])


def final_message(draft: StoredDraft, catalog: Catalog) -> tuple[str, list[Block]]:
    """The finished draft: its text in sections of at most 3,000 characters, the context line, the
    actions; with variants, each in its own sections with a "Use this" button on its first one; a
    thread or carousel, a section per part."""
    blocks: list[Block] = []
    if draft.parts is not None:
        blocks += parts_sections(draft.parts)
    elif len(draft.variants) == 1:
        blocks += sections(escape(draft.variants[0].text))
    else:
        for index, post in enumerate(draft.variants):
            chosen = draft.chosen_variant == index
            parts = sections(f"*Variant {index + 1}*{' ✅' if chosen else ''}\n{escape(post.text)}")
            label = "✓ Chosen" if chosen else "Use this"
            parts[0]["accessory"] = button(
                label, f"{USE}_{index}", ActionValue(draft.id, index), "primary" if chosen else None
            )
            blocks += [*parts, {"type": "divider"}]
    blocks.append(context_block(escape(context_line(draft, catalog, draft.chosen_variant or 0))))
    blocks.append(actions_block(draft, catalog))
    if len(blocks) > MAX_BLOCKS:  # only for absurd lengths: keep the buttons, trim the text
        blocks = [*blocks[: MAX_BLOCKS - 2], *blocks[-2:]]
    fallback = draft.variants[draft.chosen_variant or 0].text
    return escape(fallback[:3000]), blocks


def info_message(info: Info) -> tuple[str, list[Block]]:
    """Help, lists and defaults: `info.text` can quote what a user typed (a saved brand voice)."""
    title, body = escape(info.title), escape(info.text)
    return f"{title}\n{body}"[:3000], sections(f"*{title}*\n{body}")[:MAX_BLOCKS]


def notice_message(text: str) -> tuple[str, list[Block]]:
    """A plain-words failure or acknowledgement (always sent ephemerally); it can quote the user."""
    safe = escape(text)
    return safe, [{"type": "section", "text": {"type": "mrkdwn", "text": safe[:SECTION_LIMIT]}}]
