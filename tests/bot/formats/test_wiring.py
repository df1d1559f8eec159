"""Threads and carousels wired through the product, without a model: the grammar's format:/posts:
options and their errors, the brand kit on every part, the parts as the store keeps them, and what
a remix asks for (a part fewer or more; another platform keeps the format where it can)."""

from __future__ import annotations

import pytest

from bot import grammar
from bot.brandkit.kit import BrandKit
from bot.brief import Brief, make_brief
from bot.catalog import Catalog
from bot.errors import InvalidOption
from bot.formats import Parts, Slide, ThreadPost, brief_plan, reformatted, resized
from bot.formats.kit import as_post, obey_parts
from bot.postprocess import HASHTAG
from engine.config import EngineConfig

KIT = BrandKit(banned=("cheap",), disclaimer="Terms apply.", required_hashtags=("#ad",))


def brief(catalog: Catalog, **fields: object) -> Brief:
    raw = {"prompt": "Our bakery opens a second shop at 12 Mill Street on Saturday.", **fields}
    return make_brief(raw, catalog, EngineConfig())


def thread(*bodies: str, platform: str = "x") -> Parts:
    n = len(bodies)
    return Parts("thread", platform, posts=tuple(ThreadPost(i, n, b) for i, b in enumerate(bodies, 1)))


def carousel(caption: str) -> Parts:
    slides = (Slide(1, "Cheap bread, big news", "Our cheap loaves are back."), Slide(2, "Visit", "Come by."))
    return Parts("carousel", "instagram", slides=(*slides, Slide(3, "See you", "Saturday.")), caption=caption)


def test_the_grammar_takes_a_format_and_a_count(catalog: Catalog) -> None:
    command = grammar.parse("format:Thread slides:4 platform:x Second shop opens", catalog)
    assert command.options == {"format": "thread", "posts": 4, "platform": "x"}
    made = brief(catalog, **grammar.brief_fields(command.options))
    plan = brief_plan(made, catalog)
    assert plan is not None and (plan.kind, plan.count) == ("thread", 4)
    assert brief_plan(brief(catalog, platform="x"), catalog) is None  # a post by default
    assert "format: thread · posts: 4" in grammar.describe_options(command.options)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("format:slideshow hi", "Unknown format 'slideshow'. Valid formats: post, thread, carousel."),
        ("posts:11 hi", "posts must be a number from 2 to 10: a thread has 2 to 10 posts, a carousel 3"),
        ("posts:two hi", "posts must be a number from 2 to 10"),
        ("format:carousel platform:x hi", "A carousel is for Instagram or LinkedIn, not X (Twitter)"),
        ("format:thread platform:linkedin hi", "A thread is for X (Twitter), Threads or Bluesky"),
        ("format:carousel posts:2 platform:instagram hi", "A carousel has 3 to 10 slides (got 2)"),
        ("posts:3 platform:x hi", "posts:N goes with format:thread or format:carousel"),
    ],
)
def test_a_bad_format_or_count_says_what_is_allowed(catalog: Catalog, text: str, words: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        command = grammar.parse(text, catalog)
        brief_plan(brief(catalog, **grammar.brief_fields(command.options)), catalog)
    assert str(caught.value).startswith(words), str(caught.value)
    assert caught.value.field in ("format", "posts")


def test_the_kit_cleans_every_part_and_its_required_text_ends_the_thread(catalog: Catalog) -> None:
    parts = thread(
        "Big news from our bakery!",
        "Cheap bread at 12 Mill Street, " + "fresh every morning and warm from the oven, " * 5,
        "Come by on Saturday. #Bakery",
    )
    obeyed = obey_parts(parts, KIT, catalog.platforms["x"], hashtags=True)
    assert [p.text.split(" ", 1)[0] for p in obeyed.posts] == ["1/3", "2/3", "3/3"]
    assert all("cheap" not in p.text.lower() for p in obeyed.posts)
    assert all(len(p.text) <= 280 for p in obeyed.posts)
    last = obeyed.posts[-1].text
    assert "Terms apply." in last and "#ad" in last and "#Bakery" in last
    for post in obeyed.posts[:-1]:
        assert "Terms apply." not in post.text and not HASHTAG.search(post.text)
    assert obey_parts(parts, None, catalog.platforms["x"], hashtags=True) is parts


def test_the_kit_keeps_slides_clean_and_puts_its_text_in_the_caption(catalog: Catalog) -> None:
    obeyed = obey_parts(carousel("Cheap bread is back. #Bakery"), KIT, catalog.platforms["instagram"], True)
    assert [s.headline for s in obeyed.slides] == ["Bread, big news", "Visit", "See you"]
    assert obeyed.slides[0].text == "Our loaves are back."
    assert all("#" not in s.headline + s.text and "Terms" not in s.text for s in obeyed.slides)
    assert obeyed.caption is not None and "cheap" not in obeyed.caption.lower()
    assert "Terms apply." in obeyed.caption and "#ad" in obeyed.caption


def test_parts_read_back_from_their_stored_form() -> None:
    posts = thread("Hook here.", "Facts at 12 Mill Street.", "Come by! #Bakery")
    assert posts.stored() == {
        "kind": "thread",
        "parts": ["1/3 Hook here.", "2/3 Facts at 12 Mill Street.", "3/3 Come by! #Bakery"],
        "caption": None,
    }
    back = Parts.from_stored(posts.stored(), "x")
    assert back.posts == posts.posts and back.generated_text == posts.generated_text
    slides = carousel("Caption here. #Bakery")
    again = Parts.from_stored(slides.stored(), "instagram")
    assert (again.slides, again.caption, again.count) == (slides.slides, slides.caption, 3)
    post = as_post(slides)
    assert post.text == slides.generated_text and post.hashtags == ["#Bakery"]
    assert post.character_count == len(slides.generated_text)


def test_a_remix_resizes_within_the_range_and_keeps_the_format_where_it_can(catalog: Catalog) -> None:
    four = brief(catalog, platform="x", format="thread", posts=4)
    assert resized(four, catalog, 3).posts == 3
    assert resized(four, catalog, 1).posts == 2 and resized(four, catalog, 12).posts == 10
    slides = brief(catalog, platform="instagram", format="carousel")
    assert resized(slides, catalog, 2).posts == 3  # a carousel keeps its 3 slides at the least
    assert reformatted(slides.model_copy(update={"platform": "linkedin"})).format == "carousel"
    on_threads = reformatted(four.model_copy(update={"platform": "threads"}))
    assert (on_threads.format, on_threads.posts) == ("thread", 4)
    moved = reformatted(four.model_copy(update={"platform": "linkedin"}))
    assert (moved.format, moved.posts) == ("post", None)  # LinkedIn's native shape
