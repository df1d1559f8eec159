"""Hashtags a marketer would keep and no raw markup (issue 18 item 4): every tag the issue quotes."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.postprocess import HASHTAG, finalize
from bot.quality.hashtags import has_markup, strip_markup, tag_problem, vocabulary, words_of

LIPSTICK = vocabulary(["organic lipstick in 12 shades, launching May 7", "glow, lipstick, clean beauty"])


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("#OrganicShoplifts", "unfit for a brand (shoplift)"),
        ("#Nutritionitian", "not a word (nutritionitian)"),
        ("#Formerly", "function word (formerly)"),
        ("#Integrates", "verb form (integrates)"),
        ("#LuxuryWeighing", "verb form (weighing)"),
        ("#TheBest", "function word (the)"),
    ],
)
def test_tags_outside_the_rule(tag: str, problem: str) -> None:
    assert tag_problem(tag, LIPSTICK) == problem


@pytest.mark.parametrize(
    "tag",
    ["#OrganicLipstick", "#Lipstick", "#CleanBeauty", "#oatmilk", "#RunningShoes", "#MortgageRates",
     "#HealthyEating", "#Launching", "#DarkMode", "#Chicago", "#WeeklyDeals"],
)  # fmt: skip
def test_tags_a_marketer_keeps(tag: str) -> None:
    # "#Launching" is a verb form, but the brief used it
    assert tag_problem(tag, LIPSTICK) is None


def test_words_of_splits_camel_case_and_runs() -> None:
    assert words_of("#OrganicShoplifts") == ["organic", "shoplifts"]
    assert words_of("#organicskincare") == ["organic", "skincare"]
    assert words_of("#SPF50") == ["spf", "50"]


def test_markdown_a_platform_shows_raw_goes() -> None:
    raw = "Big update for night owls.\n## Dark Mode\nIt is **finally** here: see [the notes](https://x.co/n)."
    assert has_markup(raw)
    clean = strip_markup(raw)
    assert not has_markup(clean)
    assert (
        clean == "Big update for night owls.\nDark Mode.\nIt is finally here: see the notes https://x.co/n."
    )
    assert not has_markup("#DarkMode #Apps")  # hashtags are not headings


def test_finalize_keeps_only_tags_inside_the_rule(catalog: Catalog) -> None:
    brief = "organic lipstick in 12 shades, launching May 7"
    raw = (
        "Meet our organic lipstick in 12 shades.\n## Launch day\nIt arrives May 7.\n\n"
        "#OrganicShoplifts #Nutritionitian #Formerly #OrganicLipstick"
    )
    post = finalize(raw, "instagram", catalog, topic=brief, sources=[brief], industry="fashion_beauty")
    assert "#OrganicLipstick" in post.hashtags
    assert not {"#OrganicShoplifts", "#Nutritionitian", "#Formerly"} & set(post.hashtags)
    assert "##" not in post.text and "Launch day." in post.text
    given = vocabulary([brief])
    assert all(tag_problem("#" + t, given) is None for t in HASHTAG.findall(post.text))


def test_an_unfit_inline_tag_goes_a_verb_form_keeps_its_word(catalog: Catalog) -> None:
    brief = "our app now works with your calendar"
    raw = "Our app #Integrates with your calendar. No more #Shoplifts of your time.\n\n#Calendar"
    text = finalize(raw, "x", catalog, topic=brief, sources=[brief]).text
    assert "Our app Integrates with your calendar." in text
    assert "Shoplifts" not in text and "#Calendar" in text


def test_preferred_tags_come_first(catalog: Catalog) -> None:
    brief = "spring sale on garden tools, 20% off this weekend"
    raw = "Our spring sale is on: 20% off garden tools this weekend."
    post = finalize(raw, "linkedin", catalog, topic=brief, sources=[brief], preferred=["#GreenThumbs"])
    assert post.hashtags[0] == "#GreenThumbs" and len(post.hashtags) >= 3
