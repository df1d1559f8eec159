"""The brand kit's rules without a model: banned phrases, emoji policy, required text within the
limit, streamed previews, example selection, the kit's config schema and the chat grammar."""

from __future__ import annotations

import re

import pytest

from bot import grammar
from bot.brandkit.examples import EXAMPLES_BUDGET_CHARS, closest
from bot.brandkit.kit import BrandKit, merged
from bot.brandkit.rules import Banned, StreamGuard, apply_emoji, compiled, obey, with_required
from bot.brandkit.service import chat_changes
from bot.catalog import Catalog
from bot.config import BrandKitConfig
from bot.errors import InvalidOption
from bot.postprocess import Post, finalize

CHEAP = Banned.of(["cheap", "guaranteed results"])


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Cheap flights to Lisbon! Book now.", "Flights to Lisbon! Book now."),
        ("Our cheapest fares, cheaply. #CheapFlights #Lisbon", "Our fares. #Lisbon"),
        ("A cheap, fun trip.", "A fun trip."),
        ("Guaranteed results, or guaranteed-results twice.", "Or twice."),
        ("Nothing to see here.", "Nothing to see here."),
    ],
)
def test_banned_phrases_are_removed_with_their_inflections_and_tags(text: str, clean: str) -> None:
    assert CHEAP.scrub(text) == clean
    assert not CHEAP.found(clean)
    assert "cheap" not in clean.lower()


def test_a_short_banned_word_spares_longer_words_that_start_with_it() -> None:
    ad = Banned.of(["ad"])
    assert ad.found("Visit our address: ads and ad.") == ["ads", "ad"]
    assert "address" in ad.scrub("Visit our address: ads and ad.")


def test_sampling_bans_cover_a_sentence_start() -> None:
    kit = BrandKit(banned=("cheap", "Guaranteed results"))
    assert kit.sampling_bans() == ("cheap", "Cheap", "Guaranteed results", "guaranteed results")


def test_emoji_policy() -> None:
    text = "Hi 😀 there 🎉🎉 and ✅ done 👍"
    assert apply_emoji(text, "none") == "Hi there and done"
    assert apply_emoji(text, "some") == "Hi 😀 there 🎉 and done"
    assert apply_emoji(text, "many") == text
    assert apply_emoji("No emoji, left as written .", "none") == "No emoji, left as written ."


def test_required_text_is_added_and_fits_x(catalog: Catalog) -> None:
    kit = BrandKit(disclaimer="Terms apply.", required_hashtags=("#ad",))
    x = catalog.platforms["x"]
    long = "Fly to Lisbon this spring with us. " * 12 + "\n\n#Travel #Lisbon"
    text, truncated = with_required(long.strip(), kit, x, hashtags=True)
    assert truncated and len(text) <= x.char_limit
    body, _, tags = text.rpartition("\n\n")
    assert body.endswith("Terms apply.") and tags.split()[0] == "#ad"
    assert len(re.findall(r"#\w+", tags)) <= x.hashtags.max
    short, cut = with_required("Terms apply. See you in Lisbon.", kit, x, hashtags=True)
    assert not cut and short == "See you in Lisbon.\n\nTerms apply.\n\n#ad"  # once, at the end


def test_obey_recounts_the_post(catalog: Catalog) -> None:
    kit = BrandKit(banned=("cheap",), disclaimer="Terms apply.", emoji="none")
    post = finalize("Cheap flights to Lisbon 😀 this spring.", "instagram", catalog, hashtags=False)
    obeyed, hits = obey(post, kit, compiled(kit.banned), catalog.platforms["instagram"], hashtags=False)
    assert hits == 1 and isinstance(obeyed, Post)
    assert obeyed.text == "Flights to Lisbon this spring.\n\nTerms apply."
    assert obeyed.character_count == len(obeyed.text) and obeyed.word_count == 7


@pytest.mark.parametrize(
    ("phrases", "deltas", "shown"),
    [
        (
            ("cheap",),
            ["Cheap", " flights ", "to Lis", "bon! Book ch", "eapest ", "fares "],
            "Flights to Lisbon! Book fares",
        ),
        (("cheap flights",), ["Book ", "cheap", " flig", "hts to", " Lisbon now ", "ok"], "Book to Lisbon"),
    ],
)
def test_streamed_previews_never_show_a_banned_phrase(
    phrases: tuple[str, ...], deltas: list[str], shown: str
) -> None:
    guard = StreamGuard(compiled(phrases), phrases)
    seen = ""
    for delta in deltas:
        seen += guard.feed(delta)
        assert "cheap" not in seen.lower()
    assert seen == shown


def test_the_closest_examples_fit_the_budget() -> None:
    examples = [
        "Our bakery opens a second shop downtown this Saturday.",
        "New running shoes: lighter, with recycled soles.",
        "Weekend flights to Lisbon and Porto, booked in two taps.",
        "x" * 400,
    ]
    picked = closest("flights to Lisbon for the long weekend", examples, k=2)
    assert picked[0] == examples[2] and len(picked) == 2
    assert sum(len(t) for t in closest("anything", examples * 10, k=50)) <= EXAMPLES_BUDGET_CHARS
    assert closest("anything", []) == []


def test_kit_schema_names_what_is_wrong() -> None:
    kit = BrandKitConfig(
        banned=[" cheap ", "Cheap", "guaranteed  results"], preferred_hashtags=["travel", "#Travel"]
    )
    assert kit.banned == ["cheap", "guaranteed results"] and kit.preferred_hashtags == ["#travel"]
    for bad, words in [
        ({"banned": ["!!!"]}, "no word"),
        ({"required": {"hashtags": ["two words"]}}, "not a hashtag"),
        ({"required": {"disclaimer": "x" * 130}}, "fit every platform"),
        ({"emoji": "lots"}, "none"),
        ({"examples": ["ok", "bad\x00"]}, "control character"),
    ]:
        with pytest.raises(ValueError, match=words):
            BrandKitConfig.model_validate(bad)


def test_stored_fields_win_and_required_merges_key_by_key() -> None:
    start = BrandKitConfig(voice="warm", required={"disclaimer": "Terms apply.", "hashtags": ["#ad"]})
    kit = merged(start, {"voice": "crisp", "required": {"disclaimer": "T&Cs apply."}})
    assert (
        kit.voice == "crisp" and kit.required.disclaimer == "T&Cs apply." and kit.required.hashtags == ["#ad"]
    )


def test_brand_commands_parse(catalog: Catalog) -> None:
    show = grammar.parse("brand show", catalog)
    assert show.kind == "brand" and show.brand_action == "show"
    assert grammar.parse("brand", catalog).brand_action == "show"
    cmd = grammar.parse('brand set banned:"cheap,guaranteed" disclaimer:"Terms apply." emoji:none', catalog)
    assert cmd.brand_action == "set"
    assert chat_changes(cmd.brand_fields) == {
        "banned": ["cheap", "guaranteed"],
        "required": {"disclaimer": "Terms apply."},
        "emoji": "none",
    }
    added = grammar.parse("brand examples add Spring is here: 3 new salads, made fresh.", catalog)
    assert (
        added.brand_action == "examples_add" and added.prompt == "Spring is here: 3 new salads, made fresh."
    )
    assert chat_changes(grammar.parse('brand set banned:""', catalog).brand_fields) == {"banned": []}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("brand set bannd:cheap", "Did you mean 'banned'"),
        ("brand set cheap", "key:"),
        ("brand delete", "show, set or examples add"),
        ("brand examples add", "examples add"),
        ('brand set disclaimer:"Terms', "not closed"),
    ],
)
def test_bad_brand_commands_say_what_is_allowed(catalog: Catalog, text: str, words: str) -> None:
    with pytest.raises(InvalidOption, match=words):
        grammar.parse(text, catalog)
