"""Post-processing guarantees: limits, hashtag norms, debris, repetition, unfinished tails."""

from __future__ import annotations

import re

import pytest

from bot.catalog import Catalog
from bot.postprocess import HASHTAG, finalize

LONG_SENTENCES = " ".join(
    f"Sentence number {i} tells you something useful about the new Lumen phone and its battery."
    for i in range(900)
)


@pytest.mark.parametrize(
    "platform", ["x", "bluesky", "threads", "instagram", "linkedin", "tiktok", "facebook"]
)
def test_never_over_limit_and_cut_at_sentence(catalog: Catalog, platform: str) -> None:
    raw = LONG_SENTENCES + " #Lumen #Phone #Battery"
    post = finalize(raw, platform, catalog, industry="technology")
    limit = catalog.platforms[platform].char_limit
    assert post.character_count == len(post.text) <= limit
    assert post.truncated
    body = post.text.split("\n\n#")[0]
    assert body.endswith("battery.")
    norm = catalog.platforms[platform].hashtags
    assert norm.min <= len(post.hashtags) <= norm.max


def test_word_boundary_when_no_sentence_fits(catalog: Catalog) -> None:
    post = finalize("word " * 200, "x", catalog, hashtags=False)
    assert len(post.text) <= 280 and not post.text.endswith(" ")
    # a draft always ends a sentence now: the cut is closed with a full stop
    assert post.text.endswith(".")
    assert all(w == "word" for w in post.text.rstrip(".").split())


def test_hashtags_dropped_whole_to_norm(catalog: Catalog) -> None:
    raw = "Big news: the Lumen X2 is here. #One #Two #Three #Four #Five #Six #Seven"
    post = finalize(raw, "instagram", catalog)
    assert post.hashtags == ["#One", "#Two", "#Three", "#Four", "#Five"]
    x = finalize(raw, "x", catalog)
    assert x.hashtags == ["#One", "#Two"] and "#Three" not in x.text and "Three" not in x.text


def test_missing_hashtags_added_from_brief(catalog: Catalog) -> None:
    post = finalize(
        "Our new planner app is live.", "linkedin", catalog, industry="b2b_saas", topic="Planner app"
    )
    assert 3 <= len(post.hashtags) <= 5
    assert all(HASHTAG.fullmatch(t) for t in post.hashtags)


def test_instruction_words_never_become_hashtags(catalog: Catalog) -> None:
    post = finalize(
        "Meet the new Lumen phone.",
        "instagram",
        catalog,
        topic="Create a social media post about our new smartphone release",
    )
    assert post.hashtags == ["#Smartphone"]


def test_hashtags_off_removes_them(catalog: Catalog) -> None:
    post = finalize("Fresh #coffee every morning. #Cafe #Morning", "instagram", catalog, hashtags=False)
    assert post.hashtags == [] and "#" not in post.text and "coffee" in post.text


def test_chat_debris_and_preamble_removed(catalog: Catalog) -> None:
    raw = (
        'Sure! Here\'s a post for you:\n"Meet the Lumen X2. Pure sound. #Audio"'
        "<|im_end|>\n<|im_start|>user\nmore"
    )
    post = finalize(raw, "x", catalog)
    assert post.text.startswith("Meet the Lumen X2.")
    assert "<|" not in post.text and "user" not in post.text and "Sure" not in post.text


def test_degenerate_repetition_collapsed(catalog: Catalog) -> None:
    raw = "Try our new latte today. " * 6 + "It is made with oat milk."
    post = finalize(raw, "facebook", catalog)
    assert post.text.count("Try our new latte today.") == 1
    assert "oat milk" in post.text


def test_unfinished_tail_dropped_when_out_of_tokens(catalog: Catalog) -> None:
    raw = "The Lumen X2 lasts two days on a charge. It ships Friday. And the best part is that"
    post = finalize(raw, "facebook", catalog, hashtags=False, ran_out_of_tokens=True)
    assert post.text == "The Lumen X2 lasts two days on a charge. It ships Friday."
    # ending in "that" is a cut fragment whether or not the budget ran out: it never reaches a user
    kept = finalize(raw, "facebook", catalog, hashtags=False, ran_out_of_tokens=False)
    assert kept.text == "The Lumen X2 lasts two days on a charge. It ships Friday."


def test_word_count_counts_whitespace_words(catalog: Catalog) -> None:
    """Words as a word processor counts them ("cutting-edge" is one): 27 for the spec's example text,
    whose own figure (28) matches no standard counting rule."""
    spec = (
        "Introducing our revolutionary new XYZ smartphone. Engineered with cutting-edge technology and sleek "
        "design, it's ready to transform how you connect, create, and communicate. Available now. "
        "#TechInnovation #NewRelease"
    )
    post = finalize(spec, "instagram", catalog)
    assert post.word_count == 27


NOISE = [
    "we", "the", "coffee", "Great", "and", "It'", "$49", "@Handle", "#Coffee", "#Create", "Coffee & Drink",
    "(new)", '"Fresh"', "😀", "\n", "\n\n", ".", "!", "?", ",", "-", ":", "Monday", "May 7th", "2024",
    "www.x.com", "I'm", "Emily", "…", "*", "**bold**", "1.", "- item", "•", ")", "'", "’", "Hi,",
    "Sure! Here's a post:", "<|im_end|>", "assistant", "20%",
]  # fmt: skip


# The end of a sentence, checked here apart from bot.postprocess: a stop, question or exclamation mark
# or ellipsis (a closing quote or bracket may follow it), or an emoji; never a bare cut apostrophe.
CLOSING_TAGS = re.compile(r"(?:\s*#\w+)+\s*$")
ENDS_SENTENCE = re.compile(r"(?:[.!?…][\"'”’)\]]*|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2705\uFE0F])$")


def body_of(text: str) -> str:
    return CLOSING_TAGS.sub("", text).rstrip()


def test_no_fragment_ever_leaves_finalize(catalog: Catalog) -> None:
    """Seeded noise (the shapes a small model's worst samples take): every result is within the limit,
    keeps clean tag lines, and ends a sentence; only a draft with no sentence left, or one the fact
    guard gutted, is rejected (so best-of-n ranks it last)."""
    import random

    from training.metrics import hashtag_lines_valid

    rnd = random.Random(3)
    for _ in range(400):
        raw = " ".join(rnd.choice(NOISE) for _ in range(rnd.randint(1, 120)))
        for platform in ("x", "instagram"):
            post = finalize(
                raw, platform, catalog, industry="food_beverage", topic="new coffee",
                ran_out_of_tokens=rnd.random() < 0.5, sources=["new coffee"], brand_voice=True,
            )  # fmt: skip
            assert len(post.text) <= catalog.platforms[platform].char_limit, raw
            assert hashtag_lines_valid(post.text), raw
            body = body_of(post.text)
            assert not body or ENDS_SENTENCE.search(body), raw
            assert post.rejected or body, raw  # nothing but hashtags is not a draft
            assert not post.rejected or not body or post.removed, raw  # no sentence left, or guarded


def test_fuzz_found_endings_are_closed(catalog: Catalog) -> None:
    # before the final closing pass this came out ending in "…and and Hi," (a tag line hid the cut)
    raw = ") ! • 2024 1. Hi, the <|im_end|> ' <|im_end|> It' and and Hi, \n\n 😀 Monday : \n ' #Coffee :"
    post = finalize(
        raw, "x", catalog, industry="food_beverage", topic="new coffee", sources=["new coffee"],
        brand_voice=True,
    )  # fmt: skip
    assert not post.rejected and post.repaired  # closed by hand, so a draft best-of-n may keep
    assert ENDS_SENTENCE.search(body_of(post.text))
    assert not post.text.split("\n")[0].rstrip().endswith(("Hi,", "and", "It'"))
    only_tags = finalize(": -", "x", catalog, topic="new coffee", sources=["new coffee"])
    assert only_tags.text == "#Coffee" and only_tags.rejected  # nothing but hashtags is not a draft


def test_a_hard_cut_is_closed_within_the_limit(catalog: Catalog) -> None:
    """No space to cut at (a run-on word): the cut leaves room for its closing full stop."""
    post = finalize("Amazing" * 60, "x", catalog, hashtags=False)
    assert post.text == "Amazing" * 39 + "Amazin." and len(post.text) == 280
    assert post.truncated and post.repaired and not post.rejected
