"""Brief validation and prompt building."""

from __future__ import annotations

import pytest

from bot.brief import make_brief
from bot.catalog import Catalog
from bot.prompts import build_messages
from engine.config import EngineConfig
from engine.errors import InvalidRequest

LIMITS = EngineConfig()


def test_spec_example_brief(catalog: Catalog) -> None:
    brief = make_brief(
        {
            "prompt": "Create a social media post about our new smartphone release",
            "platform": "instagram",
            "tone": "professional",
            "max_length": 150,
            "industry": "technology",
        },
        catalog,
        LIMITS,
    )
    assert brief.industry == "technology" and brief.max_length == 150


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 10_000}, "prompt"),
        ({"prompt": "ok", "max_length": 0}, "max_length"),
        ({"prompt": "ok", "max_length": 100_000}, "max_length"),
        ({"prompt": "ok", "variants": 9}, "variants"),
        ({"prompt": "ok", "tone": "angry"}, "tone"),
        ({"prompt": "ok", "platform": "myspace"}, "platform"),
        ({"prompt": "ok", "max_length": "lots"}, "max_length"),
        ({"prompt": "ok", "colour": "red"}, "colour"),
    ],
)
def test_invalid_briefs_name_the_field(catalog: Catalog, fields: dict, field: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        make_brief(fields, catalog, LIMITS)
    assert err.value.field == field
    assert str(err.value)


def test_system_prompt_carries_rules(catalog: Catalog) -> None:
    brief = make_brief(
        {
            "prompt": "Summer sale",
            "tone": "fomo",
            "platform": "twitter",
            "industry": "retail",
            "audience": "students",
        },
        catalog,
        LIMITS,
    )
    system, user = build_messages(brief, catalog)
    assert system["role"] == "system" and user["role"] == "user"
    assert "280 characters" in system["content"]
    assert catalog.tones["fomo"].rules[0] in system["content"]
    assert "students" in user["content"] and "Summer sale" in user["content"]


def test_template_uses_our_system_turn(loaded_model, catalog: Catalog) -> None:
    brief = make_brief({"prompt": "Coffee launch"}, catalog, LIMITS)
    text = loaded_model.tokenizer.apply_chat_template(
        build_messages(brief, catalog), tokenize=False, add_generation_prompt=True
    )
    assert "SmolLM" not in text and "PostPulse" in text
