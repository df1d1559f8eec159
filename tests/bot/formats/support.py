"""Checks every thread and carousel test makes, whichever front door wrote it."""

from __future__ import annotations

from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.formats import Parts
from bot.formats.shape import HEADLINE_WORDS, LINE_WORDS
from bot.postprocess import HASHTAG
from bot.quality.specifics import brief_specifics, check, known_text

BAKERY = (
    "Our bakery opens a second shop at 12 Mill Street on Saturday. Free croissant for the first 50 "
    "visitors. Open 7am to 3pm."
)


def one_candidate(config: AppConfig) -> AppConfig:
    """One sampled answer per thread or carousel: what a round trip tests is the front door, and
    on 2 shared cores each extra candidate costs seconds."""
    quality = config.quality.model_copy(update={"best_of": {"transformers": 1}})
    return config.model_copy(update={"quality": quality})


def quoted(brief: Brief, parts: Parts) -> str:
    """The parts as they came out, for the closing note (pytest -s prints it)."""
    return f"--- {parts.kind} on {parts.platform}\nbrief: {brief.prompt}\n{parts.generated_text}\n"


def assert_kept(brief: Brief, parts: Parts) -> None:
    """Every specific of the brief stated somewhere across the parts, and no part contradicting one
    (another price, time, day or date than the brief's), as bot.quality.specifics judges a post."""
    specifics = brief_specifics(brief)
    assert specifics, "the brief states specifics"
    whole = check(parts.generated_text, specifics, known_text(brief))
    assert not whole.missing, (whole.missing, parts.generated_text)
    for text in parts.texts:
        assert not check(text, specifics, known_text(brief)).contradicted, text


def assert_thread(parts: Parts, count: int, catalog: Catalog) -> None:
    """Numbered 1/N..N/N, each post within the platform's limit, hashtags in the last one only."""
    limit = catalog.platforms[parts.platform].char_limit
    assert parts.kind == "thread" and len(parts.posts) == count, parts.generated_text
    for number, post in enumerate(parts.posts, start=1):
        assert post.text.startswith(f"{number}/{count} ") and post.body.strip(), post.text
        assert len(post.text) <= limit, post.text
    assert not any(HASHTAG.search(p.text) for p in parts.posts[:-1]), parts.generated_text


def assert_carousel(parts: Parts, count: int, catalog: Catalog) -> None:
    """Slides 1..N, each a headline of at most 8 words and a line of at most 25, no hashtags on a
    slide; the caption within the platform's limit."""
    assert parts.kind == "carousel" and [s.number for s in parts.slides] == list(range(1, count + 1))
    for slide in parts.slides:
        assert 1 <= len(slide.headline.split()) <= HEADLINE_WORDS, slide
        assert 1 <= len(slide.text.split()) <= LINE_WORDS, slide
        assert "#" not in slide.headline + slide.text, slide
    assert parts.caption and len(parts.caption) <= catalog.platforms[parts.platform].char_limit
