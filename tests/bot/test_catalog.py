"""Catalogue contents the issue requires, and lookups with suggestions."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from engine.errors import InvalidRequest

REQUIRED_LIMITS = {
    "x": 280,
    "bluesky": 300,
    "threads": 500,
    "instagram": 2200,
    "linkedin": 3000,
    "facebook": 63206,
    "tiktok": 2200,
}


def test_required_entries(catalog: Catalog) -> None:
    for tone in ("professional", "casual", "persuasive", "inspirational", "fomo"):
        assert tone in catalog.tones
    assert len(catalog.tones) >= 8
    for name, limit in REQUIRED_LIMITS.items():
        assert catalog.platforms[name].char_limit == limit
    assert catalog.platforms["instagram"].hashtags.max <= 5
    assert len(catalog.industries) >= 10


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("tone", "Motivational", "inspirational"),
        ("platform", "twitter", "x"),
        ("industry", "E-Commerce", "retail"),
    ],
)
def test_aliases(catalog: Catalog, kind: str, name: str, expected: str) -> None:
    assert getattr(catalog, kind)(name) == expected


def test_unknown_tone_lists_valid_and_suggests(catalog: Catalog) -> None:
    with pytest.raises(InvalidRequest) as err:
        catalog.tone("profesional")
    assert err.value.field == "tone"
    assert err.value.suggestion == "professional"
    assert "casual" in str(err.value) and "Did you mean 'professional'" in str(err.value)
