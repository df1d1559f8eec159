"""A fetched page's main text (trafilatura) and the brief it becomes: title, key points, specifics.

Why trafilatura: it is the maintained main-text extractor that benchmarks best on news and blog pages,
and it drops navigation, cookie banners and footers, which would otherwise become "key points".

Why the key points are the page's own sentences (extractive, not a model's summary): the fact guard
allows a draft only the specifics its brief states, so the brief must state the page's specifics
verbatim; a summary by a 135M model would drop or change them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import trafilatura

from bot.errors import NothingReadable
from bot.quality.factguard import find_specifics

MIN_TEXT_CHARS = 80  # less than this is a login wall, an app shell or an error page, not an article
SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
MAX_POINT_CHARS = 300

# The seam for "the specifics a text states": the fact guard's surface forms today; the lead may swap
# in bot.quality.specifics.extract (issue 18) by passing `lambda t: [s.text for s in extract(t)]`.
SpecificsFinder = Callable[[str], Sequence[str]]


LEADING_PREPOSITION = re.compile(r"^(?:in|on|this|next|until|by|from)\s+", re.I)


def guard_specifics(text: str) -> list[str]:
    """The fact guard's specifics as a reader would quote them: "March 14", not "on March 14,"."""
    found = (LEADING_PREPOSITION.sub("", s.text).rstrip(".,;:") for s in find_specifics(text))
    return [f for f in found if f]


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class PageBrief:
    """What a draft from a link may say: the page's title, its key points (its own sentences, in its
    order) and the specifics they state."""

    url: str
    title: str
    key_points: tuple[str, ...]
    specifics: tuple[str, ...]

    @property
    def prompt(self) -> str:
        """The brief's prompt: what the post is about, then the points. Not the address: the fact guard
        takes every number in a prompt for a specific a draft must keep, and a URL's (a port, an id,
        a date in its path) would be forced into the post."""
        points = "\n".join(f"- {p}" for p in self.key_points)
        return f"Share this article: {self.title}\nKey points:\n{points}"


def extract_page(html: bytes, url: str) -> Page:
    """The main text (CPU work: run it in a thread), or NothingReadable."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        raise NothingReadable(
            "The page has no article text PostPulse can read (it may need a login or JavaScript): "
            "give another link, or paste the text as the brief.",
            url=url,
        )
    paragraphs = tuple(p.strip() for p in text.split("\n") if p.strip())
    title = " ".join(((getattr(doc, "title", None) or "").strip() or paragraphs[0][:120]).split())
    # The headline often opens the text as well; it is the title, not a point.
    if paragraphs and paragraphs[0].rstrip(".") == title.rstrip("."):
        paragraphs = paragraphs[1:]
    return Page(url, title, paragraphs)


def sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(paragraph) if s.strip()]


def brief_from_page(
    page: Page, *, max_chars: int = 1500, max_points: int = 8, finder: SpecificsFinder = guard_specifics
) -> PageBrief:
    """Key points: each paragraph's lead sentence and every sentence stating a specific, in the page's
    order, until `max_points` or `max_chars` (the brief's prompt has a limit: engine.max_prompt_chars)."""
    chosen: list[str] = []
    used = len(page.title)
    for paragraph in page.paragraphs:
        for i, sentence in enumerate(sentences(paragraph)):
            if i > 0 and not finder(sentence):
                continue
            point = (
                sentence if len(sentence) <= MAX_POINT_CHARS else sentence[:MAX_POINT_CHARS].rsplit(" ", 1)[0]
            )
            if point in chosen or len(point) < 12:
                continue
            if len(chosen) >= max_points or used + len(point) + 3 > max_chars:
                break
            chosen.append(point)
            used += len(point) + 3
    if not chosen:
        raise NothingReadable("The page has no sentences PostPulse can write from.", url=page.url)
    found = [s for text in (page.title, *chosen) for s in finder(text)]
    return PageBrief(page.url, page.title, tuple(chosen), tuple(dict.fromkeys(found)))
