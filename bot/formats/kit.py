"""A thread or carousel under the brand kit (bot.brandkit.rules), part by part: banned phrases out of
every post, slide and caption, the emoji policy on each, and the required text (disclaimer, required
hashtags) once, where a reader meets the end: the last post of a thread, a carousel's caption.

Why not the whole text at once: the rules' required text would land after the last part's number
and the limit would count the whole thread; each part has its own limit, and only one part may
carry hashtags.
"""

from __future__ import annotations

from dataclasses import replace

from bot.brandkit.kit import BrandKit
from bot.brandkit.rules import Banned, apply_emoji, compiled, with_required
from bot.catalog import Platform
from bot.formats.parts import Parts, Slide, ThreadPost
from bot.formats.shape import NUMBER_ROOM
from bot.postprocess import HASHTAG, Post, count_words


def _clean(text: str, banned: Banned, kit: BrandKit) -> str:
    return apply_emoji(banned.scrub(text) if banned.found(text) else text, kit.emoji)


def obey_parts(parts: Parts, kit: BrandKit | None, platform: Platform, hashtags: bool) -> Parts:
    """`parts` under `kit` (unchanged without one); `platform` is the catalogue's entry for the parts'."""
    if kit is None or kit.empty:
        return parts
    banned = compiled(kit.banned)
    required = bool(kit.disclaimer or kit.required_hashtags)
    if parts.kind == "thread":
        bodies = [_clean(p.body, banned, kit) for p in parts.posts]
        if required and bodies:
            room = platform.model_copy(update={"char_limit": platform.char_limit - NUMBER_ROOM})
            bodies[-1], _ = with_required(bodies[-1], kit, room, hashtags)
        total = len(bodies)
        posts = tuple(ThreadPost(i, total, body) for i, body in enumerate(bodies, start=1))
        return replace(parts, posts=posts)
    slides = tuple(
        Slide(s.number, _clean(s.headline, banned, kit), _clean(s.text, banned, kit)) for s in parts.slides
    )
    caption = _clean(parts.caption or "", banned, kit)
    if required:
        caption, _ = with_required(caption, kit, platform, hashtags)
    return replace(parts, slides=slides, caption=caption or None)


def as_post(parts: Parts) -> Post:
    """The parts as one variant (their `generated_text`), so ratings, choices, reviews and the feedback
    export treat a thread or carousel as they treat a post."""
    text = parts.generated_text
    return Post(text, count_words(text), len(text), ["#" + t for t in HASHTAG.findall(text)], False)
