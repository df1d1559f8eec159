"""Drafts and answers as Discord message text, split to fit Discord's 2,000-character messages.

The splitter is ours: discord.ext.commands.Paginator cuts only at line ends and refuses a line
longer than a page, and a LinkedIn draft is often one long paragraph.
"""

from __future__ import annotations

import re

from bot.assistant import Info, StoredDraft
from bot.brief import Brief
from bot.catalog import Catalog

MESSAGE_LIMIT = 2000  # Discord's limit for a message's content
PARTIAL_TAIL = 1800  # while streaming, show the end of a long draft in one message
CURSOR = " ▌"
_SINGLE_STAR_BOLD = re.compile(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?![*\w])")
# Where a piece of text may be cut, best first: a blank line, a line end, a sentence end, a space.
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", " ")


def platform_name(catalog: Catalog, key: str) -> str:
    platform = catalog.platforms.get(key)
    return platform.display_name if platform else key


def drafting_line(brief: Brief, catalog: Catalog, user_name: str | None = None) -> str:
    """'Drafting a casual Instagram post for @alice…' (the line shown until the first words arrive)."""
    tone = brief.tone
    article = "an" if tone[:1].lower() in "aeiou" else "a"
    who = f" for {user_name}" if user_name else ""
    many = f" ({brief.variants} variants)" if brief.variants > 1 and brief.format == "post" else ""
    return f"✍️ Drafting {article} {tone} {platform_name(catalog, brief.platform)} {brief.format}{who}{many}…"


def render_partial(brief: Brief, texts: dict[int, str], catalog: Catalog, user_name: str | None) -> str:
    """The message while the model writes: the drafting line and the text so far (its tail if long)."""
    parts = [drafting_line(brief, catalog, user_name)]
    for index in sorted(texts):
        label = f"**{index + 1}.** " if brief.variants > 1 else ""
        parts.append(label + texts[index].strip())
    body = "\n\n".join(parts) + CURSOR
    if len(body) > MESSAGE_LIMIT:
        body = parts[0] + "\n\n…" + body[-PARTIAL_TAIL:]
    return body


def info_line(draft: StoredDraft, catalog: Catalog, index: int | None = None) -> str:
    """`-# Instagram · casual · 183/2,200 chars · 31 words · 4.2s` (Discord's small subtext)."""
    brief = draft.brief
    head = [platform_name(catalog, brief.platform), brief.tone]
    if index is not None:
        post = draft.variants[index]
        head += [f"{post.character_count:,}/{draft.platform_limit:,} chars", f"{post.word_count} words"]
    else:
        head.append(f"{len(draft.variants)} variants")
    head.append(draft.generation_time)
    return "-# " + " · ".join(head)


def render_draft(draft: StoredDraft, catalog: Catalog) -> str:
    """The finished draft: each variant's text, then the platform/tone/chars/limit/words/time line."""
    if len(draft.variants) == 1:
        return f"{draft.variants[0].text.strip()}\n{info_line(draft, catalog, 0)}"
    blocks = []
    for i, post in enumerate(draft.variants):
        stats = f"-# {post.character_count:,}/{draft.platform_limit:,} chars · {post.word_count} words"
        blocks.append(f"**{i + 1}.** {post.text.strip()}\n{stats}")
    return "\n\n".join(blocks) + "\n" + info_line(draft, catalog)


def render_pieces(draft: StoredDraft, catalog: Catalog) -> list[str]:
    """The finished draft as messages: a thread or carousel one message per post or slide (each
    copied on its own; a post is at most 500 characters, a slide 33 words), the caption in as many
    as it takes, the info line under the last; anything else, render_draft split to fit."""
    parts = draft.parts
    if parts is None:
        return split_message(render_draft(draft, catalog))
    if parts.kind == "thread":
        pieces = [post.text for post in parts.posts]
        size = f"{len(parts.posts)} posts"
    else:
        pieces = [f"**{s.number}. {s.headline}**\n{s.text}" for s in parts.slides]
        pieces += split_message(f"**Caption**\n{parts.caption}") if parts.caption else []
        size = f"{len(parts.slides)} slides"
    where = platform_name(catalog, draft.brief.platform)
    info = f"-# {where} · {draft.brief.tone} · {size} · {draft.generation_time}"
    last = f"{pieces[-1]}\n{info}" if pieces else info
    return [*pieces[:-1], *split_message(last)]


def render_info(info: Info) -> str:
    """Info text uses Slack-style `*bold*`; Discord's single star is italics, so double it."""
    text = _SINGLE_STAR_BOLD.sub(r"**\1**", info.text)
    return f"**{info.title}**\n{text}"


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at the best break available (never mid-word unless
    a single word is longer than a message)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def _best_cut(text: str, limit: int) -> int:
    """Where to end the next piece: just after the best break whose piece still fits."""
    for mark in _BREAKS:
        kept = len(mark.rstrip())  # a sentence's full stop stays; the whitespace goes
        at = text.rfind(mark, 0, limit - kept + len(mark))
        if at > limit // 4:  # a break too near the start would make a stub message
            return at + len(mark)
    return limit
