"""Threads and carousels without a model: the plans and their errors, and sampled answers (as the small
model writes them: in form, out of form, too long, inventing) assembled into parts in shape."""

from __future__ import annotations

import pytest

from bot.brief import Brief
from bot.catalog import Catalog
from bot.errors import InvalidOption
from bot.formats import CarouselPlan, Parts, ThreadPlan, brief_specifics, plan_format
from bot.formats.parse import pack, split_carousel, split_thread
from bot.formats.shape import HEADLINE_WORDS, LINE_WORDS, native_plan
from bot.formats.write import assemble_output
from bot.postprocess import HASHTAG
from bot.quality.factguard import invented

FILLER = ["rye", "sourdough", "seeded", "white", "spelt", "brown", "oat", "corn"]
BAKERY = (
    "Our bakery opens a second shop at 12 Mill Street on Saturday. Free croissant for the first 50 "
    "visitors. Open 7am to 3pm."
)


def brief(platform: str, prompt: str = BAKERY, **fields: object) -> Brief:
    return Brief.model_validate({"prompt": prompt, "platform": platform, "tone": "casual", **fields})


def plan(fmt: str, platform: str, catalog: Catalog, count: int | None = None) -> ThreadPlan | CarouselPlan:
    made = plan_format(fmt, platform, catalog, material_chars=len(BAKERY), count=count)
    assert made is not None
    return made


def assert_thread_in_shape(parts: Parts, limit: int, count: int, specifics: list[str]) -> None:
    assert parts.kind == "thread" and len(parts.posts) == count
    for i, post in enumerate(parts.posts, start=1):
        assert post.text.startswith(f"{i}/{count} ")
        assert len(post.text) <= limit, post.text
        assert post.body.strip()
    for post in parts.posts[:-1]:
        assert not HASHTAG.search(post.text), post.text  # hashtags only on the last post
    joined = parts.generated_text
    for specific in specifics:
        assert specific.replace(" ", "") in joined.replace(" ", ""), (specific, joined)


# --- plans ---------------------------------------------------------------------------------------


def test_a_thread_counts_its_posts_by_length_or_takes_posts_n(catalog: Catalog) -> None:
    short = plan_format("thread", "x", catalog, material_chars=120)
    long = plan_format("thread", "threads", catalog, material_chars=1500)
    assert isinstance(short, ThreadPlan) and short.posts == 3 and short.char_limit == 280
    assert isinstance(long, ThreadPlan) and long.posts == 7 and long.char_limit == 500
    given = plan_format("thread", "bluesky", catalog, material_chars=120, count=6)
    assert isinstance(given, ThreadPlan) and (given.posts, given.given, given.char_limit) == (6, True, 300)
    assert given.resized(1).posts == 2 and given.resized(20).posts == 10  # remix stays in range
    carousel = plan_format("carousel", "linkedin", catalog, material_chars=120)
    assert isinstance(carousel, CarouselPlan) and carousel.slides == 3
    assert plan_format("post", "x", catalog, material_chars=120) is None


@pytest.mark.parametrize(
    ("fmt", "platform", "count", "words"),
    [
        ("thread", "instagram", None, "A thread is for X (Twitter), Threads or Bluesky, not Instagram"),
        ("carousel", "x", None, "A carousel is for Instagram or LinkedIn, not X (Twitter)"),
        ("thread", "x", 11, "A thread has 2 to 10 posts (got 11)"),
        ("carousel", "instagram", 2, "A carousel has 3 to 10 slides (got 2)"),
        ("post", "x", 3, "posts:N goes with format:thread or format:carousel"),
        ("slideshow", "x", None, "Unknown format 'slideshow'. Valid formats: post, thread, carousel."),
    ],
)
def test_a_format_the_platform_does_not_take_says_what_would_do(
    catalog: Catalog, fmt: str, platform: str, count: int | None, words: str
) -> None:
    with pytest.raises(InvalidOption) as caught:
        plan_format(fmt, platform, catalog, material_chars=100, count=count)
    assert str(caught.value).startswith(words)


def test_several_platforms_each_get_the_format_in_their_native_shape(catalog: Catalog) -> None:
    x = native_plan("thread", "x", catalog, material_chars=100, count=4)
    assert isinstance(x, ThreadPlan) and x.posts == 4
    assert native_plan("thread", "linkedin", catalog, material_chars=100, count=4) is None  # a post
    assert isinstance(native_plan("carousel", "linkedin", catalog, material_chars=100), CarouselPlan)
    with pytest.raises(InvalidOption, match="2 to 10 posts"):
        native_plan("thread", "linkedin", catalog, material_chars=100, count=40)


# --- threads -------------------------------------------------------------------------------------


def test_a_thread_in_form_is_numbered_within_the_limit_with_hashtags_only_at_the_end(
    catalog: Catalog,
) -> None:
    raw = (
        "1/ Big news: our bakery is growing! #Bakery\n"
        "2/ A second shop opens at 12 Mill Street on Saturday, open 7am to 3pm. "
        + "So much fresh bread. "
        * 20
        + "\n"
        "3/ Free croissant for the first 50 visitors. Come early and say hi! #Bakery #Croissant #Fresh"
    )
    b = brief("x")
    parts = assemble_output(raw, plan("thread", "x", catalog, 3), b, catalog, brief_specifics(b))
    assert not parts.fallback
    assert_thread_in_shape(parts, 280, 3, ["12 Mill Street", "Saturday", "50", "7am", "3pm"])
    assert parts.posts[0].body == "Big news: our bakery is growing!"
    tags = HASHTAG.findall(parts.posts[-1].text)
    assert 1 <= len(tags) <= catalog.platforms["x"].hashtags.max
    assert parts.payload() == [p.text for p in parts.posts]
    assert parts.generated_text == "\n\n".join(p.text for p in parts.posts)


def test_an_answer_out_of_form_is_split_into_the_posts_asked_for(catalog: Catalog) -> None:
    raw = (
        "Exciting news! Our bakery opens a second shop at 12 Mill Street on Saturday. The first 50 "
        "visitors get a free croissant. We are open 7am to 3pm. We can't wait to see you there."
    )
    b = brief("threads", call_to_action="Come by on Saturday and say hello.")
    parts = assemble_output(raw, plan("thread", "threads", catalog, 4), b, catalog, brief_specifics(b))
    assert parts.fallback
    assert_thread_in_shape(parts, 500, 4, ["12 Mill Street", "Saturday", "50", "7am", "3pm"])
    assert parts.posts[0].body == "Exciting news!"  # the model's opening is the hook
    assert parts.posts[-1].body.startswith("Come by on Saturday and say hello.")  # the brief's CTA


def test_invented_specifics_are_removed_and_the_brief_fills_the_thread(catalog: Catalog) -> None:
    raw = (
        "1/ Guess what is opening this weekend?\n"
        "2/ Our new shop is open 9am to 9pm and coffee is $2 all week.\n"
        "3/ The first 100 visitors get a free croissant.\n"
        "4/ See you there!"
    )
    b = brief("bluesky")
    parts = assemble_output(raw, plan("thread", "bluesky", catalog, 4), b, catalog, brief_specifics(b))
    assert {"9am", "$2", "100"} <= set(parts.removed)
    for post in parts.posts:
        assert not invented(post.body, [b.prompt]), post.text
    assert parts.fallback  # two posts were all invention: the brief's sentences take their place
    assert_thread_in_shape(parts, 300, 4, ["12 Mill Street", "Saturday", "50", "7am", "3pm"])
    assert parts.posts[0].body == "Guess what is opening this weekend?"  # the hook stays
    assert parts.posts[-1].body.startswith("See you there!")  # so does the call to action


def test_specifics_every_post_dropped_are_restored_from_the_brief(catalog: Catalog) -> None:
    raw = "1/ Guess what is opening this weekend?\n2/ Our second shop opens on Saturday.\n3/ See you there!"
    b = brief("x")
    parts = assemble_output(raw, plan("thread", "x", catalog, 3), b, catalog, brief_specifics(b))
    assert not parts.fallback
    assert set(parts.restored) == {"12", "50", "7am", "3pm"}
    assert_thread_in_shape(parts, 280, 3, ["12 Mill Street", "Saturday", "50", "7am", "3pm"])
    assert parts.posts[1].body.startswith("Our second shop opens on Saturday. Our bakery opens a second shop")


def test_a_long_answer_out_of_form_keeps_the_count_and_the_brief_facts_over_filler(catalog: Catalog) -> None:
    filler = " ".join(f"We love {w} bread and we bake it with care every single day." for w in FILLER)
    raw = f"How would we respond? {filler} Our second shop is at 12 Mill Street."
    b = brief("x")
    parts = assemble_output(raw, plan("thread", "x", catalog, 3), b, catalog, brief_specifics(b))
    assert parts.fallback
    assert_thread_in_shape(parts, 280, 3, ["12 Mill Street", "Saturday", "50", "7am", "3pm"])
    assert parts.posts[1].body.startswith("Our second shop is at 12 Mill Street.")  # facts before filler


def test_a_thread_that_runs_long_keeps_the_count_asked_for(catalog: Catalog) -> None:
    raw = "\n".join(
        f"{i}/ Bread is {word} here." for i, word in enumerate(["good", "warm", "fresh", "crisp", "soft"], 1)
    )
    raw += "\n6/ Visit us soon!"
    b = brief("x", prompt="Our bakery is great.")
    parts = assemble_output(raw, plan("thread", "x", catalog, 3), b, catalog, [])
    assert [p.text.split(" ", 1)[0] for p in parts.posts] == ["1/3", "2/3", "3/3"]
    assert parts.posts[-1].body.startswith("Visit us soon!")


# --- carousels -----------------------------------------------------------------------------------


def test_a_carousel_in_form_keeps_headlines_and_lines_within_their_words(catalog: Catalog) -> None:
    raw = (
        "Slide 1: A brand new bakery shop is opening its doors right here in town | Our second shop "
        "opens at 12 Mill Street on Saturday.\n"
        "Slide 2: Free croissants | The first 50 visitors get a free croissant, " + "warm and buttery and "
        "flaky, " * 8 + "straight from the oven.\n"
        "Slide 3: #Opening hours | Open 7am to 3pm.\n"
        "Slide 4: See you Saturday | Come early and bring a friend!\n"
        "Caption: Our second shop opens Saturday at 12 Mill Street! #Bakery #Croissants"
    )
    b = brief("instagram")
    parts = assemble_output(raw, plan("carousel", "instagram", catalog, 4), b, catalog, brief_specifics(b))
    assert not parts.fallback and len(parts.slides) == 4
    for slide in parts.slides:
        assert 1 <= len(slide.headline.split()) <= HEADLINE_WORDS, slide.headline
        assert 1 <= len(slide.text.split()) <= LINE_WORDS, slide.text
        assert "#" not in slide.headline + slide.text  # hashtags belong to the caption
    assert parts.slides[0].headline == "Brand new bakery shop is opening doors right"  # headline style
    assert parts.slides[2].headline == "Opening hours"
    assert parts.caption is not None and HASHTAG.search(parts.caption)
    assert len(parts.caption) <= catalog.platforms["instagram"].char_limit
    assert parts.payload()[0] == {"headline": parts.slides[0].headline, "text": parts.slides[0].text}
    joined = parts.generated_text
    for specific in ("12 Mill Street", "Saturday", "50", "7am", "3pm"):
        assert specific in joined


def test_a_carousel_answer_out_of_form_still_makes_slides_and_a_caption(catalog: Catalog) -> None:
    raw = "Our second shop opens at 12 Mill Street on Saturday! Free croissant for the first 50 visitors."
    b = brief("linkedin", call_to_action="Visit us this Saturday.")
    parts = assemble_output(raw, plan("carousel", "linkedin", catalog, 3), b, catalog, brief_specifics(b))
    assert parts.fallback and len(parts.slides) == 3
    assert parts.slides[-1].text == "Visit us this Saturday."
    for slide in parts.slides:
        assert len(slide.headline.split()) <= HEADLINE_WORDS and len(slide.text.split()) <= LINE_WORDS
    assert parts.caption is not None
    for specific in ("12 Mill Street", "Saturday", "50", "7am", "3pm"):
        assert specific in parts.generated_text


# --- the splitter --------------------------------------------------------------------------------


def test_the_parsers_read_the_forms_small_models_write() -> None:
    assert split_thread("1. One here.\n2) Two here.\nPost 3: Three here.") == [
        "One here.",
        "Two here.",
        "Three here.",
    ]
    assert split_thread("**1/3** Hook.\n**2/3** Body.") == ["Hook.", "Body."]
    assert split_thread("Just one post with 2 numbers.") == []
    slides, caption = split_carousel(
        "Slide 1: Head - Line one.\nSlide 2:\nHeadline: Two\nLine: Second.\nCaption: Cap"
    )
    assert [(s.headline, s.line) for s in slides] == [("Head", "Line one."), ("Two", "Second.")]
    assert caption == "Cap"


def test_pack_spreads_sentences_over_the_bins_within_the_limit() -> None:
    items = [f"Sentence number {i} is here." for i in range(9)]
    packed = pack(items, 3, 100)
    assert len(packed) == 3 and " ".join(packed) == " ".join(items)
    assert all(len(p) <= 100 for p in packed)
    assert pack(items[:2], 3, 100) == items[:2]
    assert pack(items, 9, 40) == items
    crowded = pack(items, 2, 60)  # more than two bins hold: the rest is left out, never a third bin
    assert len(crowded) == 2 and all(len(p) <= 60 for p in crowded)
    assert crowded[0].startswith("Sentence number 0") and crowded[1].startswith("Sentence number 2")
