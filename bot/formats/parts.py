"""A thread's posts and a carousel's slides: the result shapes, and each part post-processed like a post
(bot.postprocess: debris, loops, invented specifics, voice, hashtags where the platform puts them,
the limit, a complete ending)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.brief import Brief
from bot.catalog import Catalog
from bot.postprocess import (
    DANGLING,
    HASHTAG,
    clean_hashtag_lines,
    close_ending,
    collapse_repetition,
    fit_limit,
    normalise_hashtags,
    settle_ending,
    strip_debris,
    topic_keywords,
)
from bot.quality.bestof import sources as brief_sources
from bot.quality.factguard import guard
from bot.quality.scoring import voice_allows_first_person
from bot.voice import speak_as_we

SENTENCE_END = re.compile(r"[.!?…][\"'”’)]?(?=\s|$)")
DETERMINERS = frozenset(("a", "an", "the", "our", "your", "their", "its", "this", "that", "these", "those"))
CLAUSE = re.compile(r"\s*[,:;–—]\s+|\s+-\s+")


@dataclass(frozen=True)
class ThreadPost:
    number: int
    total: int
    body: str

    @property
    def text(self) -> str:
        """What is posted, number included ("2/5 …"): what the platform's limit counts."""
        return f"{self.number}/{self.total} {self.body}"


@dataclass(frozen=True)
class Slide:
    number: int
    headline: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"headline": self.headline, "text": self.text}


@dataclass(frozen=True)
class Parts:
    """A thread or a carousel, in order. `fallback`: built by the deterministic splitter because the
    model's answer did not split; `restored`: brief specifics put back from the brief's own words;
    `removed`: invented specifics the fact guard took out."""

    kind: Literal["thread", "carousel"]
    platform: str
    posts: tuple[ThreadPost, ...] = ()
    slides: tuple[Slide, ...] = ()
    caption: str | None = None
    fallback: bool = False
    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def payload(self) -> list[str] | list[dict[str, str]]:
        """HTTP's `parts`: the posts' texts, or the slides as {"headline", "text"}."""
        if self.kind == "thread":
            return [p.text for p in self.posts]
        return [s.as_dict() for s in self.slides]

    @property
    def count(self) -> int:
        """The posts or slides (the caption aside): what a shorter or longer remix changes."""
        return len(self.posts) if self.kind == "thread" else len(self.slides)

    def stored(self) -> dict[str, Any]:
        """The store's JSON (drafts.parts): the payload and the kind, and the caption."""
        return {"kind": self.kind, "parts": self.payload(), "caption": self.caption}

    @classmethod
    def from_stored(cls, data: dict[str, Any], platform: str) -> Parts:
        """`stored()` read back; the platform is the draft brief's."""
        if data["kind"] == "thread":
            texts = [str(t) for t in data["parts"]]
            posts = tuple(_numbered(t, i, len(texts)) for i, t in enumerate(texts, start=1))
            return cls("thread", platform, posts=posts)
        slides = tuple(
            Slide(i, str(s["headline"]), str(s["text"])) for i, s in enumerate(data["parts"], start=1)
        )
        return cls("carousel", platform, slides=slides, caption=data.get("caption"))

    @property
    def texts(self) -> list[str]:
        """Every text a reader sees, in order (the caption last)."""
        if self.kind == "thread":
            return [p.text for p in self.posts]
        return [f"{s.headline}\n{s.text}" for s in self.slides] + ([self.caption] if self.caption else [])

    @property
    def generated_text(self) -> str:
        """HTTP's `generated_text`: the parts joined by blank lines."""
        return "\n\n".join(self.texts)


def _numbered(text: str, number: int, total: int) -> ThreadPost:
    """ "2/5 body" -> ThreadPost(2, 5, "body"); a text without its number is the `number`th post."""
    mark, _, body = text.partition(" ")
    first, _, second = mark.partition("/")
    if first.isdigit() and second.isdigit():
        return ThreadPost(int(first), int(second), body)
    return ThreadPost(number, total, text)


@dataclass(frozen=True)
class Finisher:
    """Per-part post-processing for one brief: what the fact guard allows, the voice, the hashtags."""

    brief: Brief
    catalog: Catalog

    @property
    def sources(self) -> list[str | None]:
        return brief_sources(self.brief)

    def clean(self, raw: str) -> tuple[str, tuple[str, ...]]:
        """Debris, loops and invented specifics out; the brand speaks as "we". Returns (text, removed)."""
        text = collapse_repetition(strip_debris(raw))
        guarded = guard(text, self.sources)
        text = guarded.text
        if not voice_allows_first_person(self.brief.brand_voice):
            text = speak_as_we(text)
        return " ".join(clean_hashtag_lines(text).split()), guarded.removed

    def post(self, body: str, limit: int, *, tags: bool) -> str:
        """A thread post's body: hashtags only when `tags` (the last post), within `limit`, closed."""
        platform = self.catalog.platforms[self.brief.platform]
        text, _ = close_ending(body)
        candidates = topic_keywords(self.brief.prompt) + self._terminology()
        text, _ = normalise_hashtags(text, platform, tags and self.brief.hashtags, candidates)
        text, _, _ = fit_limit(text, limit)
        text, _ = settle_ending(text)
        return text.strip()

    def untagged(self, text: str) -> str:
        """Slides carry no hashtags: a tag becomes its word."""
        return " ".join(HASHTAG.sub(lambda m: m.group(1), text).split())

    def _terminology(self) -> list[str]:
        industry = self.brief.industry
        return list(self.catalog.industries[industry].terminology) if industry else []


def cap_words(text: str, limit: int, *, headline: bool) -> str:
    """At most `limit` words. A headline keeps its first clause if that fits, loses dangling words and
    its full stop; a line is cut back to its last complete sentence within the limit, else closed."""
    words = text.split()
    if headline:
        first = CLAUSE.split(text, maxsplit=1)[0]
        if len(words) > limit and 3 <= len(first.split()) <= limit:
            words = first.split()
        if len(words) > limit:  # headline style: "Bakery opens second shop at 12 Mill Street"
            words = [w for w in words if w.lower() not in DETERMINERS] or words
            words[0] = words[0][:1].upper() + words[0][1:]
        words = words[:limit]
        while len(words) > 1 and words[-1].lower().strip(",;:.'’") in DANGLING:
            words.pop()
        return " ".join(words).rstrip(" ,;:-–—.")
    if len(words) <= limit:
        return close_ending(text)[0]
    window = " ".join(words[:limit])
    ends = [m.end() for m in SENTENCE_END.finditer(window)]
    if ends and len(window[: ends[-1]].split()) >= limit // 3:
        return window[: ends[-1]]
    return close_ending(window, ran_out_of_tokens=True)[0]


def states(text: str, specific: str) -> bool:
    """Does `text` state `specific` (case and spacing aside)?"""
    squeeze = re.compile(r"\s+")
    return squeeze.sub("", specific.lower()) in squeeze.sub("", text.lower())


def missing(texts: Sequence[str], specifics: Sequence[str]) -> list[str]:
    joined = "\n".join(texts)
    return [s for s in specifics if not states(joined, s)]
