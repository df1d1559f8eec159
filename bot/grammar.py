"""The `/postpulse [key:value …] free text` grammar, shared by every chat front door.

Rules (the README's "Command grammar" documents the same):
- `key:value` options may stand anywhere in the text; keys and values are case-insensitive;
  a value with spaces is quoted: `audience:"small business owners"` (straight or curly quotes).
- Keys: tone, platform, industry, variants (1..max), audience, cta, voice, hashtags (on|off),
  length (short|medium|long or a number of tokens), format (post|thread|carousel), posts (a thread's
  posts or a carousel's slides; which platform takes which format is bot.formats.brief_plan's check).
  Aliases: call_to_action/brand_voice/n/len/slides/...
- A word with a colon whose key is NOT an option stays prompt text ("Note: sale today",
  "https://…", "10:30") — unless the key is a near miss of an option (`tnoe:casual`), which is
  an error with a did-you-mean. A known key with nothing attached (`Tone: upbeat`, with a space)
  is prompt text too: options are written without a space after the colon.
- The first word may be a command: help, tones, platforms, industries, defaults [show|clear|options].
- `defaults` also takes `review:#channel` (where "Send for review" posts this channel's drafts): a
  channel default only, never part of a brief.

Why hand-written: shlex would choke on the apostrophes of ordinary copy ("Don't miss it"), and the
rules above (unknown keys stay text) are not something an argument parser does.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.catalog import Catalog
from bot.errors import InvalidOption
from bot.formats.shape import check_format, check_posts

CommandKind = Literal["draft", "help", "tones", "platforms", "industries", "defaults", "brand"]
DefaultsAction = Literal["show", "set", "clear"]
BrandAction = Literal["show", "set", "examples_add", "stats"]
# `/postpulse brand set key:"value" …`: the key a user types -> the brand kit field it sets
# (bot.brandkit.service validates the values); list values are comma-separated.
BRAND_KEYS: dict[str, str] = {
    "voice": "voice",
    "banned": "banned",
    "disclaimer": "required.disclaimer",
    "hashtags": "required.hashtags",
    "required_hashtags": "required.hashtags",
    "preferred": "preferred_hashtags",
    "preferred_hashtags": "preferred_hashtags",
    "emoji": "emoji",
}

# Canonical option keys (what a user types) -> the Brief field they fill.
OPTION_FIELDS: dict[str, str] = {
    "tone": "tone",
    "platform": "platform",
    "industry": "industry",
    "variants": "variants",
    "audience": "audience",
    "cta": "call_to_action",
    "voice": "brand_voice",
    "hashtags": "hashtags",
    "length": "length",
    "format": "format",
    "posts": "posts",
}
KEY_ALIASES: dict[str, str] = {
    "call_to_action": "cta",
    "call-to-action": "cta",
    "brand_voice": "voice",
    "brand-voice": "voice",
    "brand": "voice",
    "variant": "variants",
    "n": "variants",
    "hashtag": "hashtags",
    "tags": "hashtags",
    "len": "length",
    "max_length": "length",
    "channel": "platform",
    "network": "platform",
    "sector": "industry",
    "slides": "posts",
}
# Keys only `defaults` takes: channel settings that are not brief fields.
DEFAULTS_ONLY_KEYS: tuple[str, ...] = ("review",)
# Keys a draft request takes that are not brief fields: `url:https://…` (bot.links reads the page into
# the brief). Not a channel default: a link belongs to one request.
LINK_KEYS: tuple[str, ...] = ("url",)
URL_MAX = 2000  # what browsers and servers reliably accept
LINK_PATTERN = r"^https?://[^\s/?#]+(?:[/?#]\S*)?$"  # the HTTP schema documents the same pattern
MAX_PLATFORMS = 5  # `platform:x,linkedin,…`: one draft each, written at once
CHOICE_KEYS = frozenset({"tone", "platform", "industry", "variants", "hashtags", "length", "format", "posts"})
ALL_KEYS = sorted({*OPTION_FIELDS, *KEY_ALIASES})
COMMANDS: tuple[CommandKind, ...] = ("help", "tones", "platforms", "industries", "defaults")
KEY_TYPO_CUTOFF = 0.75  # how close an unknown key must be to a real one to count as a typo
TEXT_OPTION_MAX = 500  # audience / cta / voice go into the prompt: keep them short
QUOTES = "\"'“‘"
# A review channel as typed: `#marketing-review`, an escaped mention (`<#C0123|marketing-review>`,
# Slack; `<#123456789>`, Discord) or a bare id (C0123ABC, 123456789).
_CHANNEL_MENTION = re.compile(r"^<#(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_NAME = re.compile(r"^#(?P<name>[a-z0-9][a-z0-9._-]{0,79})$")
_CHANNEL_ID = re.compile(r"^(?:[CG][A-Z0-9]{6,}|\d{15,21})$")
ON = {"on", "yes", "true", "1"}
OFF = {"off", "no", "false", "0", "none"}

# Length words -> a share of the platform's typical word range (low end, middle, high end).
LENGTH_WORDS = ("short", "medium", "long")
TOKENS_PER_WORD = 1.5  # SmolLM2's tokenizer on marketing English, emoji and punctuation included
LENGTH_SLACK_TOKENS = 20  # room for hashtags and a closing line past the word target
MIN_TOKENS = 16

# `key:value` where value is quoted ("…", '…', “…”) or runs to the next space. The key must start a
# word (after start or whitespace) and begin with a letter, so "10:30" and "re:tweet" in a URL path
# are not options; the value must be attached (no space after the colon).
OPTION = re.compile(
    r"""(?:(?<=\s)|^)
        (?P<key>[A-Za-z][A-Za-z_-]*):
        (?P<value>"[^"]*"|“[^”]*”|'[^']*'|‘[^’]*’|[^\s"“”]+)?""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Command:
    """A parsed command. `options` hold validated, canonical values keyed by option key."""

    kind: CommandKind
    prompt: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    defaults_action: DefaultsAction | None = None
    brand_action: BrandAction | None = None
    brand_fields: dict[str, str] = field(default_factory=dict)  # BRAND_KEYS' fields -> typed text


def canonical_key(key: str) -> str | None:
    """The option a typed key names (any case, aliases included), or None."""
    k = key.strip().lower()
    if k in OPTION_FIELDS:
        return k
    return KEY_ALIASES.get(k)


def _key_typo(key: str) -> str | None:
    close = difflib.get_close_matches(key.lower(), ALL_KEYS, n=1, cutoff=KEY_TYPO_CUTOFF)
    return canonical_key(close[0]) if close else None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] in "\"'“‘" and value[-1] in "\"'”’":
        return value[1:-1]
    return value


def _resolve(kind: str, value: str, lookup: Any) -> str:
    """Catalogue lookup that records what was typed, so messages can quote it."""
    try:
        return str(lookup(value))
    except InvalidOption as exc:
        raise InvalidOption(
            str(exc), field=kind, allowed=exc.allowed, suggestion=exc.suggestion, value=value
        ) from exc


def parse_value(key: str, raw: Any, catalog: Catalog, max_variants: int) -> Any:
    """Validate one option's value (from the grammar or a form field) into its canonical form."""
    if isinstance(raw, str):
        value: Any = " ".join(raw.split())
        if not value:
            raise InvalidOption(f"'{key}' needs a value, e.g. {_example(key)}.", field=key)
    else:
        value = raw
    if key in CHOICE_KEYS and isinstance(value, str):
        value = value.rstrip(",.;!?")  # "tone:casual, please" — the comma is prose
    if key == "tone":
        return _resolve("tone", str(value), catalog.tone)
    if key == "platform":
        return platforms(value, catalog)
    if key == "industry":
        return _resolve("industry", str(value), catalog.industry)
    if key == "variants":
        return _variants(value, max_variants)
    if key == "hashtags":
        return _switch(value)
    if key == "length":
        return _length(value)
    if key == "format":
        return _resolve("format", str(value), check_format)
    if key == "posts":
        return check_posts(value)
    if key == "review":
        return review_channel(str(value))
    if key == "url":
        return link(str(value))
    text = str(value)
    if len(text) > TEXT_OPTION_MAX:
        raise InvalidOption(
            f"'{key}' is {len(text)} characters; keep it under {TEXT_OPTION_MAX}.", field=key, value=text
        )
    return text


def _example(key: str) -> str:
    examples = {
        "tone": "tone:casual",
        "platform": "platform:linkedin",
        "industry": "industry:retail",
        "variants": "variants:3",
        "hashtags": "hashtags:off",
        "length": "length:short",
        "format": "format:thread",
        "posts": "posts:5",
    }
    return examples.get(key, f'{key}:"…"')


def platforms(value: Any, catalog: Catalog) -> str | list[str]:
    """One platform (a name), or several (`x,linkedin` or a JSON list): a list of distinct canonical
    names in the order given, one draft each. A single name stays a string, as it always was."""
    names = value if isinstance(value, list | tuple) else str(value).split(",")
    given = [str(n).strip() for n in names if str(n).strip()]
    if len(given) > MAX_PLATFORMS:  # counted as given, repeats too: the HTTP schema's maxItems
        raise InvalidOption(
            f"At most {MAX_PLATFORMS} platforms at once (got {len(given)}).",
            field="platform",
            value=",".join(given)[:200],
        )
    found = list(dict.fromkeys(_resolve("platform", name, catalog.platform) for name in given))
    if not found:
        raise InvalidOption(
            "platform needs a name, e.g. platform:linkedin or platform:x,linkedin.", field="platform"
        )
    return found[0] if len(found) == 1 else found


def link(value: str) -> str:
    """A `url:` value: a full http(s) address (bot.links checks where it leads when it fetches).
    Taken as given (no trimming): the HTTP schema documents the same pattern."""
    text = value
    if not re.fullmatch(LINK_PATTERN, text):
        raise InvalidOption(
            f"url needs a full web address starting with http:// or https:// (got '{text[:200]}').",
            field="url",
            value=text[:200],
        )
    if len(text) > URL_MAX:
        raise InvalidOption(f"The link is {len(text):,} characters; the limit is {URL_MAX:,}.", field="url")
    return text


def review_channel(value: str) -> str:
    """`#name` (kept as typed, lower-cased: the platform resolves names) or a channel id."""
    text = value.strip()
    mention = _CHANNEL_MENTION.match(text)
    if mention:
        return mention["id"]
    named = _CHANNEL_NAME.match(text.lower())
    if named:
        return f"#{named['name']}"
    if _CHANNEL_ID.match(text):
        return text
    raise InvalidOption(
        f"review needs a channel, e.g. review:#marketing-review (got '{value}').",
        field="review",
        allowed=["#channel-name", "a channel mention"],
        value=value,
    )


def _variants(value: Any, max_variants: int) -> int:
    if isinstance(value, bool):
        value = str(value)
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= max_variants:
        raise InvalidOption(
            f"variants must be between 1 and {max_variants} (got '{value}').",
            field="variants",
            allowed=[str(i) for i in range(1, max_variants + 1)],
            value=str(value),
        )
    return n


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).lower()
    if word in ON:
        return True
    if word in OFF:
        return False
    raise InvalidOption(
        f"hashtags must be on or off (got '{value}').", field="hashtags", allowed=["on", "off"], value=word
    )


def _length(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        tokens = value
    else:
        word = str(value).lower()
        if word in LENGTH_WORDS:
            return word
        try:
            tokens = int(word)
        except ValueError:
            close = difflib.get_close_matches(word, LENGTH_WORDS, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise InvalidOption(
                f"Unknown length '{value}'.{hint} Valid lengths: short, medium, long or a number of tokens.",
                field="length",
                allowed=list(LENGTH_WORDS),
                suggestion=close[0] if close else None,
                value=word,
            ) from None
    if tokens < 1:
        raise InvalidOption(f"length must be at least 1 token (got {tokens}).", field="length")
    return tokens


def length_tokens(length: str | int, platform_words: tuple[int, int], cap: int) -> int:
    """short | medium | long -> max new tokens for the platform: the low end, middle and high end of its
    typical word range (platforms.yaml), at TOKENS_PER_WORD, plus room for hashtags. A number is
    taken as tokens. Why per platform: "short" on LinkedIn is long on X."""
    if isinstance(length, int):
        return length
    low, high = platform_words
    words = {"short": low, "medium": (low + high) / 2, "long": high}[length]
    return min(cap, max(MIN_TOKENS, math.ceil(words * TOKENS_PER_WORD) + LENGTH_SLACK_TOKENS))


def parse(text: str, catalog: Catalog, max_variants: int = 5) -> Command:
    """Parse command text (the part after `/postpulse` or the mention). Raises InvalidOption."""
    stripped = text.strip()
    first, _, rest = stripped.partition(" ")
    word = first.lower()
    if word in ("help", "?", "usage") and not rest.strip():
        return Command("help")
    if word in ("tones", "platforms", "industries") and not rest.strip():
        return Command(word)  # type: ignore[arg-type]
    if word == "defaults":
        return _defaults(rest, catalog, max_variants)
    if word == "brand":
        return _brand(rest)
    options, prompt = extract_options(stripped, catalog, max_variants, extra_keys=LINK_KEYS)
    if not prompt and "url" not in options:  # a link alone is a brief: the page says what to write
        return Command("help", options=options)
    return Command("draft", prompt=prompt, options=options)


def _defaults(rest: str, catalog: Catalog, max_variants: int) -> Command:
    words = rest.strip().lower()
    if words in ("", "show", "list"):
        return Command("defaults", defaults_action="show")
    if words in ("clear", "reset", "off", "remove"):
        return Command("defaults", defaults_action="clear")
    options, leftover = extract_options(rest, catalog, max_variants, extra_keys=DEFAULTS_ONLY_KEYS)
    if leftover or not options:
        raise InvalidOption(
            f"'defaults' takes key:value options, 'show' or 'clear' (got '{leftover or rest.strip()}'). "
            'Example: /postpulse defaults tone:casual platform:linkedin voice:"friendly, no jargon"',
            field="defaults",
            allowed=["show", "clear", *OPTION_FIELDS, *DEFAULTS_ONLY_KEYS],
            value=leftover,
        )
    return Command("defaults", options=options, defaults_action="set")


def _brand(rest: str) -> Command:
    """brand [show] | brand set key:"value" … | brand examples add <post text> | brand stats."""
    action, _, tail = rest.strip().partition(" ")
    action = action.lower()
    if action in ("", "show"):
        return Command("brand", brand_action="show")
    if action == "stats":
        return Command("brand", brand_action="stats")
    if action == "examples":
        verb, _, text = tail.strip().partition(" ")
        if verb.lower() in ("", "show", "list"):
            return Command("brand", brand_action="show")
        if verb.lower() == "add" and text.strip():
            return Command("brand", prompt=text.strip(), brand_action="examples_add")
        raise InvalidOption(
            "Write 'brand examples add' and then the post, e.g. /postpulse brand examples add "
            "Our spring menu is here: three new salads, all made fresh each morning.",
            field="brand",
            allowed=["examples add"],
        )
    if action != "set":
        raise InvalidOption(
            f"'brand' takes show, set or examples add, or stats (got '{action}'). Example: "
            '/postpulse brand set banned:"cheap,guaranteed" disclaimer:"Terms apply."',
            field="brand",
            allowed=["show", "set", "examples add", "stats"],
            value=action,
        )
    fields: dict[str, str] = {}
    position = 0
    leftover: list[str] = []
    for match in OPTION.finditer(tail):
        key, raw = match.group("key").lower(), match.group("value")
        if key not in BRAND_KEYS:
            close = difflib.get_close_matches(key, list(BRAND_KEYS), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise InvalidOption(
                f"Unknown brand kit setting '{key}'.{hint} Settings: {', '.join(BRAND_KEYS)}.",
                field="brand",
                allowed=list(BRAND_KEYS),
                suggestion=close[0] if close else None,
                value=key,
            )
        if raw is None and tail[match.end() : match.end() + 1] in QUOTES:
            raise InvalidOption(
                f"The quote after '{key}:' is not closed: write {key}:\"like this\".", field=key
            )
        fields[BRAND_KEYS[key]] = _unquote(raw or "").strip()
        leftover.append(tail[position : match.start()])
        position = match.end()
    leftover.append(tail[position:])
    stray = " ".join("".join(leftover).split())
    if stray or not fields:
        raise InvalidOption(
            f"'brand set' takes key:\"value\" settings only (got '{stray or tail.strip()}'). Settings: "
            f'{", ".join(BRAND_KEYS)}. Example: /postpulse brand set banned:"cheap,guaranteed" '
            'disclaimer:"Terms apply."',
            field="brand",
            allowed=list(BRAND_KEYS),
            value=stray,
        )
    return Command("brand", brand_action="set", brand_fields=fields)


def extract_options(
    text: str, catalog: Catalog, max_variants: int = 5, *, extra_keys: tuple[str, ...] = ()
) -> tuple[dict[str, Any], str]:
    """Pull the `key:value` options out of `text`; what is left (whitespace tidied) is the prompt.
    `extra_keys` (DEFAULTS_ONLY_KEYS) are options too where the caller takes them."""
    options: dict[str, Any] = {}
    kept: list[str] = []
    position = 0
    for match in OPTION.finditer(text):
        key, raw = match.group("key"), match.group("value")
        option = key.lower() if key.lower() in extra_keys else canonical_key(key)
        if raw is None:
            if option is not None and text[match.end() : match.end() + 1] in QUOTES:
                raise InvalidOption(
                    f"The quote after '{key}:' is not closed: write {key}:\"like this\".",
                    field=option,
                    value=text[match.end() :],
                )
            continue  # "Note: sale" or "Tone: upbeat": prose, not an option
        if option is None:
            typo = _key_typo(key)
            if typo is None:
                continue  # "https://…", "Re:launch": prompt text
            allowed = list(OPTION_FIELDS)
            raise InvalidOption(
                f"Unknown option '{key}'. Did you mean '{typo}'? Valid options: {', '.join(allowed)}.",
                field="option",
                allowed=allowed,
                suggestion=typo,
                value=key,
            )
        value = _unquote(raw)
        options[option] = parse_value(option, value, catalog, max_variants)
        kept.append(text[position : match.start()])
        position = match.end()
    kept.append(text[position:])
    prompt = " ".join("".join(kept).split())
    return options, prompt


def brief_fields(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options keyed by option key -> Brief field names (length stays `length`, resolved later).
    Channel settings among a channel's defaults (`review`) are not brief fields and stay out."""
    return {OPTION_FIELDS[k]: v for k, v in options.items() if k in OPTION_FIELDS}


def describe_options(options: Mapping[str, Any]) -> str:
    """`tone: casual · platform: linkedin · voice: "friendly"` for Info messages."""
    parts = []
    for key in (*OPTION_FIELDS, *DEFAULTS_ONLY_KEYS):
        if key in options:
            value = options[key]
            if isinstance(value, bool):
                shown = "on" if value else "off"
            elif isinstance(value, list):
                shown = ",".join(map(str, value))
            elif isinstance(value, str) and " " in value:
                shown = f'"{value}"'
            else:
                shown = str(value)
            parts.append(f"{key}: {shown}")
    return " · ".join(parts)
