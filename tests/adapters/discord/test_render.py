"""Rendering and splitting (no Discord, no model): what a draft looks like as Discord messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.discord.components import draft_view
from adapters.discord.render import (
    MESSAGE_LIMIT,
    render_draft,
    render_info,
    render_partial,
    render_pieces,
    split_message,
)
from bot.assistant import Info, Origin, StoredDraft
from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats import Parts, Slide, ThreadPost
from bot.postprocess import Post


def stored(texts: list[str], *, platform: str = "linkedin", tone: str = "casual") -> StoredDraft:
    posts = [Post(t, len(t.split()), len(t), [], False) for t in texts]
    return StoredDraft(
        id="0123456789abcdef0123456789abcdef",
        brief=Brief(prompt="p", platform=platform, tone=tone, variants=len(texts)),
        variants=posts,
        origin=Origin("discord", "u1"),
        model="m",
        generation_seconds=4.24,
        created_at=datetime.now(UTC),
        platform_limit=3000,
    )


def test_single_draft_has_the_info_line(catalog: Catalog) -> None:
    text = render_draft(stored(["Spring is here. Ride further."]), catalog)
    assert text.splitlines()[0] == "Spring is here. Ride further."
    assert text.splitlines()[-1] == "-# LinkedIn · casual · 29/3,000 chars · 5 words · 4.2s"


def test_variants_are_numbered_with_their_own_stats(catalog: Catalog) -> None:
    text = render_draft(stored(["One.", "Two two."]), catalog)
    assert "**1.** One.\n-# 4/3,000 chars · 1 words" in text
    assert "**2.** Two two.\n-# 8/3,000 chars · 2 words" in text
    assert text.endswith("-# LinkedIn · casual · 2 variants · 4.2s")


@pytest.mark.parametrize("size", [1, 1999, 2000, 2001, 4500, 9000])
def test_split_keeps_every_word_and_fits(size: int) -> None:
    words = [f"w{i}" for i in range(size)]
    text = " ".join(words)[: max(size, 1)]
    pieces = split_message(text)
    assert all(0 < len(p) <= MESSAGE_LIMIT for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_split_prefers_paragraphs_then_sentences() -> None:
    para = "A sentence that runs on. " * 50  # ~1,250 chars
    pieces = split_message(para.strip() + "\n\n" + para.strip())
    assert len(pieces) == 2 and pieces[0] == para.strip()
    one_long = ("Ride further this spring. " * 120).strip()  # ~3,100 chars, no line breaks
    pieces = split_message(one_long)
    assert len(pieces) == 2 and pieces[0].endswith("spring.") and pieces[1].startswith("Ride")


def test_a_word_longer_than_a_message_is_cut_hard() -> None:
    pieces = split_message("x" * 4100)
    assert [len(p) for p in pieces] == [2000, 2000, 100]


def test_partial_shows_the_tail_of_a_long_stream(catalog: Catalog) -> None:
    brief = Brief(prompt="p", platform="linkedin", tone="witty")
    short = render_partial(brief, {0: "Hello"}, catalog, "@alice")
    assert short.startswith("✍️ Drafting a witty LinkedIn post for @alice…") and short.endswith("Hello ▌")
    long = render_partial(brief, {0: "word " * 900}, catalog, None)
    assert len(long) <= MESSAGE_LIMIT and long.endswith("▌")


def test_info_single_stars_become_discord_bold() -> None:
    assert render_info(Info("Tones", "*casual*: friendly\n- **already** bold")) == (
        "**Tones**\n**casual**: friendly\n- **already** bold"
    )


def test_view_rows_for_one_and_five_variants(catalog: Catalog) -> None:
    one = draft_view(stored(["x"]), catalog)
    ids = [item.custom_id for item in one.children]  # type: ignore[attr-defined]
    draft = "0123456789abcdef0123456789abcdef"
    assert ids == [
        f"pp:regenerate:{draft}",
        f"pp:shorter:{draft}",
        f"pp:longer:{draft}",
        f"pp:up:{draft}:0",
        f"pp:down:{draft}:0",
        f"pp:tone:{draft}",
        f"pp:use:{draft}:0",
        f"pp:send:{draft}:0",
        f"pp:edit:{draft}:0",
    ]
    three = [row["components"] for row in draft_view(stored(["a", "b", "c"]), catalog).to_components()]
    assert [c["custom_id"] for c in three[2]][-2:] == [f"pp:send:{draft}:0", f"pp:edit:{draft}:0"]
    five = draft_view(stored(["a", "b", "c", "d", "e"]), catalog)
    payload = five.to_components()
    assert len(payload) == 5 and all(len(row["components"]) <= 5 for row in payload)
    assert all(len(c["custom_id"]) <= 100 for row in payload for c in row["components"])
    assert five.timeout is None and five.is_persistent()
    assert not any(c["custom_id"].startswith("pp:send:") for row in payload for c in row["components"]), (
        "no room for the review buttons beside five Use buttons"
    )


def test_a_thread_is_a_message_per_post_with_the_info_line_under_the_last(catalog: Catalog) -> None:
    posts = tuple(ThreadPost(i, 3, f"Post {i} body.") for i in (1, 2, 3))
    parts = Parts("thread", "x", posts=posts)
    draft = replace(stored([parts.generated_text], platform="x"), parts=parts)
    pieces = render_pieces(draft, catalog)
    assert pieces == [
        "1/3 Post 1 body.",
        "2/3 Post 2 body.",
        "3/3 Post 3 body.\n-# X (Twitter) · casual · 3 posts · 4.2s",
    ]
    assert render_pieces(stored(["One."]), catalog) == [render_draft(stored(["One."]), catalog)]


def test_a_long_caption_takes_as_many_messages_as_it_needs(catalog: Catalog) -> None:
    slides = tuple(Slide(i, f"Head {i}", f"Line {i}.") for i in (1, 2, 3))
    caption = "Our caption sentence goes on. " * 90  # about 2,700 characters
    parts = Parts("carousel", "instagram", slides=slides, caption=caption.strip())
    pieces = render_pieces(
        replace(stored([parts.generated_text], platform="instagram"), parts=parts), catalog
    )
    assert pieces[:3] == ["**1. Head 1**\nLine 1.", "**2. Head 2**\nLine 2.", "**3. Head 3**\nLine 3."]
    assert len(pieces) == 5 and all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert pieces[3].startswith("**Caption**\nOur caption") and pieces[-1].endswith("· 3 slides · 4.2s")
    assert " ".join(" ".join(pieces[3:]).split()).count("Our caption sentence goes on.") == 90
