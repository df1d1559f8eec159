"""user_message: plain words for every error a front door shows, never internals."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.errors import DraftNotFound, DuplicateDelivery, InvalidOption, RateLimited, StoreError
from bot.grammar import parse
from bot.messages import GENERATION_FAILED, user_message
from engine.errors import EngineDead, EngineNotReady, EngineOverloaded, EngineTimeout, InvalidRequest


def test_unknown_tone_names_the_typo_the_suggestion_and_the_valid_tones(catalog: Catalog) -> None:
    with pytest.raises(InvalidOption) as info:
        parse("tone:casul spring sale", catalog)
    text = user_message(info.value)
    assert text.startswith("unknown tone 'casul' — did you mean casual? Valid tones: ")
    for tone in catalog.tones:
        assert tone in text


def test_unknown_key_gets_a_did_you_mean(catalog: Catalog) -> None:
    with pytest.raises(InvalidOption) as info:
        parse("platfrom:x spring sale", catalog)
    assert user_message(info.value).startswith("unknown option 'platfrom' — did you mean platform?")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (EngineOverloaded("queue full", retry_after_s=2.2), "busy — try again in 3 s"),
        (EngineOverloaded("queue full", retry_after_s=0.1), "busy — try again in 1 s"),
        (RateLimited("x", retry_after_s=41.5), "slow down — you can ask for another draft in 42 s"),
        (EngineNotReady("loading"), "still starting up — try again in a few seconds"),
        (DraftNotFound("no draft with id 'abc'"), "that draft no longer exists"),
        (EngineTimeout("deadline"), "that took too long — please try again, perhaps with length:short"),
        (InvalidRequest("The prompt is empty: describe what the post is about."), "The prompt is empty"),
    ],
)
def test_plain_words(exc: BaseException, expected: str) -> None:
    assert user_message(exc).startswith(expected)


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("Traceback (most recent call last): secret=hunter2"),
        KeyError("postgresql://admin:hunter2@db/postpulse"),
        ValueError("boom"),
    ],
)
def test_anything_unexpected_is_generation_failed_and_leaks_nothing(exc: BaseException) -> None:
    assert user_message(exc) == GENERATION_FAILED == "generation failed — please try again"


def test_engine_dead_store_error_and_duplicates_have_their_own_words() -> None:
    assert "restart" in user_message(EngineDead("cuda oom at 0x7f"))
    assert "0x7f" not in user_message(EngineDead("cuda oom at 0x7f"))
    store = user_message(StoreError("could not migrate postgresql://u:hunter2@h/db"))
    assert "hunter2" not in store and "drafts store" in store
    assert user_message(DuplicateDelivery("delivery x")) != GENERATION_FAILED
