"""Extraction, kept, contradicted and invented (issue 18): every example the issue gives is a case."""

from __future__ import annotations

import pytest

from bot.brief import Brief
from bot.quality.specifics import Specific, brief_specifics, check, extract


def kinds(text: str) -> list[tuple[str, str, str]]:
    return [(s.kind, s.text, s.value) for s in extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "48-hour flash sale: 40% off all running shoes",
            [("duration", "48-hour", "48 hour"), ("percent", "40%", "40%")],
        ),
        (
            "Open house this Saturday 1-4pm for the downtown loft",
            [("day", "Saturday", "saturday"), ("range", "1-4pm", "13:00-16:00")],
        ),
        ("Our mortgage rates just dropped to 5.9 percent", [("percent", "5.9 percent", "5.9%")]),
        (
            "Pop-up store for our sneakers in Chicago this weekend only",
            [("day", "weekend", "weekend"), ("place", "Chicago", "chicago")],
        ),
        (
            "Our software cuts month-end close from 10 days to 3",
            [("duration", "10 days", "10 day"), ("duration", "3", "3 day")],
        ),
        (
            'Launch of "Midnight Bloom" lipstick on May 7 at 9am, $24',
            [
                ("date", "May 7", "may 7"),
                ("time", "9am", "09:00"),
                ("price", "$24", "$24"),
                ("name", "Midnight Bloom", "midnight bloom"),
            ],
        ),
        (
            "Forty-eight hours only: twenty percent off",
            [("duration", "Forty-eight hours", "48 hour"), ("percent", "twenty percent", "20%")],
        ),
        (
            "Bakery open till midnight every Friday",
            [("time", "midnight", "00:00"), ("day", "Friday", "friday")],
        ),
        (
            "Join Blue Bottle for 3 new flavors",
            [("count", "3 new flavors", "3 flavor"), ("name", "Blue Bottle", "blue bottle")],
        ),
        (
            "Tickets $1,200.00 for 20-30% off",
            [("price", "$1,200.00", "$1200"), ("range", "20-30%", "20%-30%")],
        ),
    ],
)
def test_extract(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert kinds(text) == expected


def test_figures_of_speech_are_no_specifics() -> None:
    assert extract("One of a kind coffee for everyone, open 24/7") == []


def test_brief_specifics_reads_every_field_once() -> None:
    brief = Brief(
        prompt="40% off running shoes this Saturday",
        audience="runners in Denver",
        call_to_action="Shop by Saturday",
        brand_voice="upbeat",
    )
    assert [(s.kind, s.value) for s in brief_specifics(brief)] == [
        ("percent", "40%"),
        ("day", "saturday"),
        ("place", "denver"),
    ]


FLASH = extract("48-hour flash sale: 40% off all running shoes")


def test_kept_in_digits_or_words() -> None:
    for draft in (
        "Our 48-hour flash sale is on: 40% off every running shoe.",
        "For 48 hours only, take forty percent off running shoes.",
        "Two days only: 40 percent off running shoes.",  # 48 hours = 2 days
    ):
        result = check(draft, FLASH, "48-hour flash sale running shoes")
        assert result.ok, (draft, result)
        assert result.kept_share == 1.0


def test_missing_is_named() -> None:
    result = check("Fresh running shoes are here. Come try a pair!", FLASH, "running shoes")
    assert [s.text for s in result.missing] == ["48-hour", "40%"]
    assert result.contradicted == () and not result.ok


def test_four_days_contradicts_48_hours() -> None:
    result = check("Four days' worth of deals on running shoes, 40% off!", FLASH, "running shoes")
    assert result.contradicted == ((FLASH[0], "Four days"),)
    assert [s.text for s in result.kept] == ["40%"]


def test_by_just_one_day_contradicts_ten_to_three() -> None:
    spec = extract("Our software cuts month-end close from 10 days to 3")
    result = check("Our software speeds up month-end close by just one day.", spec, "software")
    assert {s.value for s, _ in result.contradicted} == {"10 day", "3 day"}
    assert {said for _, said in result.contradicted} == {"one day"}
    assert check("Month-end close in 3 days instead of 10 days.", spec, "software").ok
    assert check("We cut month-end close from 10 days to just three.", spec, "software").ok


def test_open_house_day_and_time() -> None:
    spec = extract("Open house this Saturday 1-4pm for the downtown loft")
    assert check("Open house Saturday, 1pm to 4pm, at our downtown loft.", spec, "").ok
    assert check("Open house this Saturday from 1-4 PM.", spec, "").ok
    missing = check("Come see the downtown loft at our open house!", spec, "")
    assert [s.text for s in missing.missing] == ["Saturday", "1-4pm"]
    sunday = check("Open house Sunday 1-4pm at the loft.", spec, "")
    assert sunday.contradicted == ((spec[0], "Sunday"),)


def test_mortgage_rate() -> None:
    spec = extract("Our mortgage rates just dropped to 5.9 percent")
    assert check("Rates are down to 5.9%. Lock yours in today.", spec, "").ok
    result = check("Rates are down to 6.5%. Lock yours in today.", spec, "")
    assert result.contradicted == ((spec[0], "6.5%"),)


def test_chicago_weekend() -> None:
    spec = extract("Pop-up store for our sneakers in Chicago this weekend only")
    known = "Pop-up store for our sneakers in Chicago this weekend only"
    assert check("Our sneaker pop-up lands in Chicago this weekend only!", spec, known).ok
    assert check("Catch the pop-up in #Chicago this weekend.", spec, known).ok  # a tag names the city
    saturday = check("Catch the pop-up this Saturday in Chicago.", spec, known)  # a day of that weekend
    assert saturday.contradicted == () and [s.text for s in saturday.missing] == ["weekend"]
    dropped = check("Our sneaker pop-up is here. Don't miss it!", spec, known)
    assert [s.text for s in dropped.missing] == ["weekend", "Chicago"]


def test_invented_names() -> None:
    drop = "Limited sneaker drop this Friday"
    tokyo = check("Our limited sneaker drop hits Tokyo this Friday.", extract(drop), drop)
    assert tokyo.invented_names == ("Tokyo",) and not tokyo.ok
    oat = "New oat milk latte, all week"
    assert check("Try our new skim milk latte all week.", extract(oat), oat).invented_names == ("skim milk",)
    assert check("Try our creamy oat milk latte all week.", extract(oat), oat).invented_names == ()
    hiring = "Hiring a senior data engineer for our data infrastructure"
    result = check("Help us scale our blockchain infrastructure as a data engineer.", [], hiring)
    assert result.invented_names == ("blockchain infrastructure",)


def test_known_names_and_title_case_are_not_invented() -> None:
    known = "Glowly lipstick launch\norganic beauty"
    draft = "Glowly's new lipstick is here. Our Summer Collection brings organic color. Shop now!"
    assert check(draft, [], known).invented_names == ()


def test_no_specifics_is_trivially_kept() -> None:
    result = check("Anything at all.", [], "")
    assert result.ok and result.kept_share == 1.0 and result.kept == () and result.missing == ()


def test_specific_is_a_value() -> None:
    assert Specific("day", "Saturday", "saturday") == extract("Saturday")[0]
