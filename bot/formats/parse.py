"""The model's answer split into raw parts, and the deterministic splitter used when it does not split.

Why a fallback at all: a 135M model follows "1/ … 2/ …" or "Slide 1: headline | line" in only a share
of samples (it writes one long post, restarts the numbering, or stops after the hook), and a thread
or carousel must still come out in shape. The splitter builds the parts from what the model did write
plus the brief's own sentences, so it never adds a fact the brief did not give. A larger model
(Llama 3.2 3B) parses nearly always, and the same code then only post-processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.postprocess import strip_debris

# "1/", "1/5", "1.", "1)", "Post 1:", "Tweet 1 -", "**1/**" at a line's start.
THREAD_MARK = re.compile(
    r"^[ \t>*_#-]*(?:(?:post|tweet|part)\s*)?(\d{1,2})\s*(?:/\s*\d{0,2}|[.):]|\s-)[*_]*[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
SLIDE_MARK = re.compile(r"^[ \t>*_#-]*slide\s*(\d{1,2})\s*[:.)-]?[*_]*[ \t]*", re.IGNORECASE | re.MULTILINE)
CAPTION_MARK = re.compile(r"^[ \t>*_#-]*caption\s*[:.-]?[*_]*[ \t]*", re.IGNORECASE | re.MULTILINE)
HEADLINE_MARK = re.compile(r"^\s*(?:headline|title)\s*[:.-]\s*", re.IGNORECASE)
LINE_MARK = re.compile(r"^\s*(?:line|text|body)\s*[:.-]\s*", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+")
MARKUP = re.compile(r"\*\*|__|^#+\s+", re.MULTILINE)


@dataclass(frozen=True)
class RawSlide:
    headline: str
    line: str


def _clean(text: str) -> str:
    return " ".join(MARKUP.sub("", text).split())


def split_thread(raw: str) -> list[str]:
    """The numbered posts, in order, as written (empty when the answer has fewer than two)."""
    text = strip_debris(raw)
    marks = list(THREAD_MARK.finditer(text))
    posts = []
    for mark, end in zip(marks, [m.start() for m in marks[1:]] + [len(text)] * bool(marks), strict=True):
        body = _clean(text[mark.end() : end])
        if body:
            posts.append(body)
    return posts if len(posts) >= 2 else []


def _split_slide(segment: str) -> RawSlide:
    """`headline | line`, `headline - line`, `Headline: … Line: …`, or a headline line then a line."""
    lines = [ln for ln in (HEADLINE_MARK.sub("", LINE_MARK.sub("", ln)) for ln in segment.split("\n")) if ln]
    joined = " ".join(ln.strip() for ln in lines)
    for separator in ("|", " – ", " — ", " - "):
        if separator in joined:
            head, _, rest = joined.partition(separator)
            return RawSlide(_clean(head), _clean(rest))
    if len(lines) >= 2:
        return RawSlide(_clean(lines[0]), _clean(" ".join(lines[1:])))
    parts = SENTENCE.split(joined, maxsplit=1)
    return RawSlide(_clean(parts[0]), _clean(parts[1]) if len(parts) > 1 else "")


def split_carousel(raw: str) -> tuple[list[RawSlide], str]:
    """The slides in order and the caption (empty when missing); no slides when fewer than two."""
    text = strip_debris(raw)
    caption = ""
    found = CAPTION_MARK.search(text)
    if found:
        caption = text[found.end() :].strip()
        text = text[: found.start()]
    marks = list(SLIDE_MARK.finditer(text))
    slides = []
    for mark, end in zip(marks, [m.start() for m in marks[1:]] + [len(text)] * bool(marks), strict=True):
        segment = text[mark.end() : end].strip()
        if segment:
            slide = _split_slide(segment)
            if slide.headline:
                slides.append(slide)
    return (slides if len(slides) >= 2 else []), caption


def sentences(text: str) -> list[str]:
    """Sentences of prose, list items and lines, without markup or numbering."""
    text = THREAD_MARK.sub("", SLIDE_MARK.sub("", strip_debris(text)))
    out: list[str] = []
    for line in text.split("\n"):
        line = _clean(line.lstrip("-•* "))
        if line and not line.startswith("#"):
            out.extend(s.strip() for s in SENTENCE.split(line) if len(s.strip()) > 2)
    return out


def pack(items: list[str], bins: int, limit: int) -> list[str]:
    """`items` (sentences, most important first) packed in order into at most `bins` texts of at most
    `limit` characters, spread evenly rather than filling the first ones. What does not fit once the
    bins are full is left out (the caller restores any specific it carried); an item too long for a bin
    is kept whole (the part's own limit cuts it later)."""
    if bins <= 0 or not items:
        return []
    if len(items) <= bins:
        return list(items)
    target = min(limit, max(sum(len(i) + 1 for i in items) // bins, 1))
    out: list[str] = []
    current = ""
    for index, item in enumerate(items):
        if not current:
            current = item
            continue
        candidate = f"{current} {item}"
        later_bins = bins - len(out) - 1
        wants_new = len(candidate) > limit or len(current) >= target or len(items) - index <= later_bins
        if wants_new and later_bins > 0:
            out.append(current)
            current = item
        elif len(candidate) <= limit:
            current = candidate
        # else: every bin is full, and the item is left out
    out.append(current)
    return out
