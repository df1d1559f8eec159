"""`/postpulse defaults review:#channel`: a channel setting that never reaches a brief."""

from __future__ import annotations

import pytest

from bot import grammar
from bot.catalog import Catalog
from bot.errors import InvalidOption
from bot.grammar import parse


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("#marketing-review", "#marketing-review"),
        ("#Marketing-Review", "#marketing-review"),
        ("<#C0REVIEW1|marketing-review>", "C0REVIEW1"),  # Slack, with escaping on
        ("<#1234567890123456789>", "1234567890123456789"),  # Discord's channel mention
        ("C0REVIEW1", "C0REVIEW1"),
    ],
)
def test_review_channel_forms(catalog: Catalog, typed: str, stored: str) -> None:
    cmd = parse(f"defaults tone:casual review:{typed}", catalog)
    assert cmd.defaults_action == "set"
    assert cmd.options == {"tone": "casual", "review": stored}


def test_a_review_default_is_not_a_brief_field_and_shows_in_the_summary(catalog: Catalog) -> None:
    options = {"tone": "casual", "review": "#marketing-review"}
    assert grammar.brief_fields(options) == {"tone": "casual"}
    assert grammar.describe_options(options) == "tone: casual · review: #marketing-review"


def test_review_is_prose_in_a_draft_and_a_bad_channel_is_named(catalog: Catalog) -> None:
    draft = parse("Please review:#marketing-review our launch", catalog)
    assert draft.kind == "draft" and draft.options == {}
    assert "review:#marketing-review" in draft.prompt
    with pytest.raises(
        InvalidOption, match=r"review needs a channel, e\.g\. review:#marketing-review"
    ) as info:
        parse("defaults review:marketing review", catalog)
    assert info.value.field == "review" and info.value.value == "marketing"
