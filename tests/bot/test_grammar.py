"""The /postpulse grammar: every key, alias, quote style and typo, the commands, and prose colons."""

from __future__ import annotations

import pytest

from bot import grammar
from bot.catalog import Catalog
from bot.errors import InvalidOption
from bot.grammar import length_tokens, parse


def test_keys_anywhere_case_insensitive(catalog: Catalog) -> None:
    cmd = parse("Launch of our new phone TONE:Casual platform:LinkedIn", catalog)
    assert cmd.kind == "draft"
    assert cmd.prompt == "Launch of our new phone"
    assert cmd.options == {"tone": "casual", "platform": "linkedin"}
    middle = parse("Launch tone:witty of our phone", catalog)
    assert middle.prompt == "Launch of our phone" and middle.options == {"tone": "witty"}


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("tone:persuasive x", "tone", "persuasive"),
        ("platform:instagram x", "platform", "instagram"),
        ("industry:retail x", "industry", "retail"),
        ("variants:3 x", "variants", 3),
        ("audience:students x", "audience", "students"),
        ("cta:subscribe x", "cta", "subscribe"),
        ("voice:bold x", "voice", "bold"),
        ("hashtags:off x", "hashtags", False),
        ("hashtags:ON x", "hashtags", True),
        ("hashtags:no x", "hashtags", False),
        ("length:short x", "length", "short"),
        ("length:Medium x", "length", "medium"),
        ("length:long x", "length", "long"),
        ("length:80 x", "length", 80),
    ],
)
def test_every_key(catalog: Catalog, text: str, key: str, value: object) -> None:
    cmd = parse(text, catalog)
    assert cmd.options == {key: value}
    assert cmd.prompt == "x"


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("platform:twitter x", "platform", "x"),
        ("tone:motivational x", "tone", "inspirational"),
        ("tone:funny x", "tone", "witty"),
        ("industry:tech x", "industry", "technology"),
        ("industry:ecommerce x", "industry", "retail"),
        ("call_to_action:buy x", "cta", "buy"),
        ("brand_voice:warm x", "voice", "warm"),
        ("n:2 x", "variants", 2),
        ("variant:2 x", "variants", 2),
        ("hashtag:off x", "hashtags", False),
        ("len:short x", "length", "short"),
        ("max_length:40 x", "length", 40),
    ],
)
def test_aliases(catalog: Catalog, text: str, key: str, value: object) -> None:
    assert parse(text, catalog).options == {key: value}


@pytest.mark.parametrize(
    "text",
    [
        'audience:"small business owners" launch',
        "audience:'small business owners' launch",
        "audience:“small business owners” launch",
        "audience:‘small business owners’ launch",
        'launch AUDIENCE:"small   business owners"',
    ],
)
def test_quoted_values(catalog: Catalog, text: str) -> None:
    cmd = parse(text, catalog)
    assert cmd.options == {"audience": "small business owners"}
    assert cmd.prompt == "launch"


def test_unclosed_quote_is_an_error(catalog: Catalog) -> None:
    with pytest.raises(InvalidOption, match="not closed") as info:
        parse('audience:"small business owners launch', catalog)
    assert info.value.field == "audience"


@pytest.mark.parametrize(
    ("text", "field", "suggestion"),
    [
        ("tone:casul x", "tone", "casual"),
        ("tone:profesional x", "tone", "professional"),
        ("platform:linkedn x", "platform", "linkedin"),
        ("industry:retial x", "industry", "retail"),
        ("length:shrt x", "length", "short"),
        ("tnoe:casual x", "option", "tone"),
        ("platfrom:x x", "option", "platform"),
        ("industy:retail x", "option", "industry"),
        ("varaints:2 x", "option", "variants"),
        ("hashtgs:off x", "option", "hashtags"),
        ("lenght:short x", "option", "length"),
        ("audiense:kids x", "option", "audience"),
    ],
)
def test_typos_get_the_closest_valid_value(catalog: Catalog, text: str, field: str, suggestion: str) -> None:
    with pytest.raises(InvalidOption) as info:
        parse(text, catalog)
    assert info.value.field == field
    assert info.value.suggestion == suggestion
    assert info.value.allowed and suggestion in info.value.allowed
    assert info.value.value == text.split(":")[0 if field == "option" else 1].split()[0]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("variants:0 x", "variants"),
        ("variants:9 x", "variants"),
        ("variants:many x", "variants"),
        ("hashtags:maybe x", "hashtags"),
        ("length:0 x", "length"),
        (f"audience:{'a' * 501} x", "audience"),
        ('voice:"" x', "voice"),
    ],
)
def test_invalid_values(catalog: Catalog, text: str, field: str) -> None:
    with pytest.raises(InvalidOption) as info:
        parse(text, catalog)
    assert info.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        "Note: sale today",  # a known-looking word with a space after the colon is prose
        "Tone: upbeat and fun",
        "Doors open 10:30 sharp",
        "Read more at https://example.com/launch",
        "Re:launch of the classic",
        "PS:don't miss it",
    ],
)
def test_colons_in_prose_stay_prompt_text(catalog: Catalog, text: str) -> None:
    cmd = parse(text, catalog)
    assert cmd.kind == "draft"
    assert cmd.options == {}
    assert cmd.prompt == text


def test_trailing_punctuation_after_a_choice_is_prose(catalog: Catalog) -> None:
    assert parse("tone:casual, our sale", catalog).options == {"tone": "casual"}


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "tone:casual", "tone:casual variants:2"])
def test_empty_prompt_or_help_is_usage(catalog: Catalog, text: str) -> None:
    assert parse(text, catalog).kind == "help"


def test_help_as_the_first_word_of_a_real_prompt_is_a_draft(catalog: Catalog) -> None:
    cmd = parse("help us launch the spring range", catalog)
    assert cmd.kind == "draft" and cmd.prompt == "help us launch the spring range"


@pytest.mark.parametrize("word", ["tones", "platforms", "industries", "Tones"])
def test_catalogue_lists(catalog: Catalog, word: str) -> None:
    assert parse(word, catalog).kind == word.lower()


def test_defaults_commands(catalog: Catalog) -> None:
    assert parse("defaults", catalog).defaults_action == "show"
    assert parse("defaults show", catalog).defaults_action == "show"
    assert parse("defaults clear", catalog).defaults_action == "clear"
    cmd = parse('defaults tone:casual platform:linkedin voice:"friendly, no jargon" industry:retail', catalog)
    assert cmd.kind == "defaults" and cmd.defaults_action == "set"
    assert cmd.options == {
        "tone": "casual",
        "platform": "linkedin",
        "voice": "friendly, no jargon",
        "industry": "retail",
    }
    with pytest.raises(InvalidOption, match="defaults"):
        parse("defaults please", catalog)
    with pytest.raises(InvalidOption) as info:
        parse("defaults tone:casul", catalog)
    assert info.value.suggestion == "casual"


def test_length_words_scale_with_the_platform(catalog: Catalog) -> None:
    x = catalog.platforms["x"].typical_words
    linkedin = catalog.platforms["linkedin"].typical_words
    for word in ("short", "medium", "long"):
        assert length_tokens(word, x, 1024) < length_tokens(word, linkedin, 1024)
    assert length_tokens("short", x, 1024) < length_tokens("medium", x, 1024) < length_tokens("long", x, 1024)
    assert length_tokens(77, x, 1024) == 77
    assert length_tokens("long", linkedin, 50) == 50  # never past the configured cap
    assert length_tokens("short", x, 1024) >= grammar.MIN_TOKENS


def test_describe_options_round_trips_through_the_grammar(catalog: Catalog) -> None:
    options = {"tone": "casual", "voice": "friendly, no jargon", "hashtags": False}
    shown = grammar.describe_options(options)
    assert shown == 'tone: casual · voice: "friendly, no jargon" · hashtags: off'


def test_a_link_alone_is_a_brief_and_a_link_must_be_a_web_address(catalog: Catalog) -> None:
    command = parse("url:https://news.example/launch?id=7", catalog)
    assert command.kind == "draft" and command.prompt == ""
    assert command.options == {"url": "https://news.example/launch?id=7"}
    command = parse("URL:https://news.example/a platform:x focus on the price", catalog)
    assert command.options["url"] == "https://news.example/a" and command.prompt == "focus on the price"
    for bad in ("url:ftp://news.example/a", "url:news.example/a", "url:https://"):
        with pytest.raises(InvalidOption) as caught:
            parse(bad, catalog)
        assert caught.value.field == "url" and "http:// or https://" in str(caught.value)
    assert parse("see https://news.example/a today", catalog).options == {}  # a bare link is prose


def test_several_platforms_are_a_list_in_the_order_given(catalog: Catalog) -> None:
    assert parse("platform:x,linkedin,instagram launch", catalog).options["platform"] == [
        "x",
        "linkedin",
        "instagram",
    ]
    assert parse("platform:x,X launch", catalog).options["platform"] == "x"  # one platform stays a name
    with pytest.raises(InvalidOption) as caught:
        parse("platform:x,linkdin launch", catalog)
    assert caught.value.field == "platform" and caught.value.suggestion == "linkedin"
    with pytest.raises(InvalidOption, match="At most 5 platforms"):
        parse("platform:x,linkedin,instagram,facebook,threads,bluesky launch", catalog)
    with pytest.raises(InvalidOption, match=r"At most 5 platforms at once \(got 6\)"):
        parse("platform:x,x,x,x,x,x launch", catalog)  # counted as given, as the HTTP schema's maxItems
    assert "platform: x,linkedin" in grammar.describe_options({"platform": ["x", "linkedin"]})
