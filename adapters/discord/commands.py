"""`/postpulse`, `/postpulse-help`, `/postpulse-defaults` as discord.py application commands.

The options are typed (tone/platform choices from the catalogues, industry autocomplete, variants
1..max), built when the bot starts, so a YAML edit to the catalogues shows up after a restart.
No `from __future__ import annotations` here: discord.py reads these callbacks' annotations to build
the option types, and `Range[int, 1, max_variants]` must be evaluated where max_variants is known.
"""

import difflib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from adapters.discord.gate import NO_PINGS
from adapters.discord.responding import Responder
from bot.catalog import Catalog
from bot.config import DiscordConfig
from bot.formats.shape import FORMATS, THREAD_POSTS

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's limit for choices and autocomplete results
LENGTHS = ("short", "medium", "long")
FORMAT_HELP = {
    "format": "A single post, a thread (X, Threads, Bluesky) or a carousel (Instagram, LinkedIn)",
    "posts": "A thread's posts (2-10) or a carousel's slides (3-10); default: by the brief's length",
}
TEXT_OPTION_MAX = 500

Interaction = discord.Interaction[Any]
Autocomplete = Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]

OPTION_HELP = {
    "prompt": "What the post is about (key:value options such as tone:witty work here too)",
    "tone": "The voice of the copy",
    "platform": "Where it will be posted (sets the length limit and hashtag norm)",
    "industry": "Your industry (its audience and terms)",
    "variants": "How many versions to write",
    "length": "Short, medium or long for the platform",
    "audience": "Who it is for, e.g. small business owners",
    "voice": "Your brand voice, e.g. warm, no jargon",
    "hashtags": "Add hashtags (default: the platform's norm)",
}


Entry = tuple[str, str, tuple[str, ...]]  # (label shown, value sent, words it is found by)


def ranked(current: str, entries: list[Entry]) -> list[app_commands.Choice[str]]:
    """Autocomplete: prefix matches, then substrings, then close spellings (aliases count); 25 at most."""
    wanted = " ".join(current.strip().lower().replace("_", " ").split())
    if not wanted:
        hits = entries
    else:
        prefix = [e for e in entries if any(t.startswith(wanted) for t in e[2])]
        inner = [e for e in entries if e not in prefix and any(wanted in t for t in e[2])]
        terms = {t: e for e in entries for t in e[2]}
        close = difflib.get_close_matches(wanted, list(terms), n=10, cutoff=0.6)
        near = list(
            dict.fromkeys(terms[t] for t in close if terms[t] not in prefix and terms[t] not in inner)
        )
        hits = prefix + inner + near
    return [app_commands.Choice(name=label[:100], value=value) for label, value, _ in hits[:MAX_CHOICES]]


def catalogue_options(catalog: Catalog) -> dict[str, list[Entry]]:
    """(label, value, search words) per option: the value is the catalogue key the bot core resolves."""

    def words(key: str, label: str, aliases: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.lower().replace("_", " ") for w in (key, label, *aliases)))

    return {
        "tone": [(k, k, words(k, k, t.aliases)) for k, t in sorted(catalog.tones.items())],
        "platform": [
            (p.display_name, k, words(k, p.display_name, p.aliases))
            for k, p in sorted(catalog.platforms.items())
        ],
        "industry": [
            (k.replace("_", " "), k, words(k, k, i.aliases)) for k, i in sorted(catalog.industries.items())
        ],
    }


def _autocompleter(entries: list[Entry]) -> Autocomplete:
    async def complete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return ranked(current, entries)

    return complete


def _typed(decorate: Callable[..., Any], catalog: Catalog) -> Callable[..., Any]:
    """Tone and platform as fixed choices (autocomplete instead past Discord's 25), industry as
    autocomplete; applied to a command callback."""
    options = catalogue_options(catalog)
    choices = {
        name: [app_commands.Choice(name=label, value=value) for label, value, _ in entries]
        for name, entries in options.items()
        if name != "industry" and len(entries) <= MAX_CHOICES
    }
    completers = {name: _autocompleter(entries) for name, entries in options.items() if name not in choices}

    def apply(func: Any) -> Any:
        func = app_commands.choices(**choices)(func)
        func = app_commands.autocomplete(**completers)(func)
        return decorate(func)

    return apply


def grammar_text(options: dict[str, object]) -> str:
    """Typed options back into `key:value` grammar (for /postpulse-defaults), values quoted."""
    parts = []
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "on" if value else "off"
        text = str(value).replace('"', "'")
        parts.append(f'{key}:"{text}"' if " " in text else f"{key}:{text}")
    return " ".join(parts)


def build_commands(
    responder: Responder, catalog: Catalog, config: DiscordConfig, max_variants: int
) -> list[app_commands.Command[Any, ..., None]]:
    contexts = app_commands.allowed_contexts(guilds=True, dms=config.dms, private_channels=config.dms)
    installs = app_commands.allowed_installs(guilds=True, users=False)
    Variants = app_commands.Range[int, 1, max_variants]
    Text = app_commands.Range[str, 1, TEXT_OPTION_MAX]

    @app_commands.command(name="postpulse", description="Write a marketing post in a tone, for a platform")
    @app_commands.describe(**OPTION_HELP, **FORMAT_HELP)
    @app_commands.choices(
        length=[app_commands.Choice(name=n, value=n) for n in LENGTHS],
        format=[app_commands.Choice(name=n, value=n) for n in FORMATS],
    )
    @_typed(contexts, catalog)
    @installs
    async def postpulse(
        interaction: Interaction,
        prompt: app_commands.Range[str, 1, 4000],
        tone: str | None = None,
        platform: str | None = None,
        industry: str | None = None,
        variants: Variants | None = None,  # type: ignore[valid-type]
        length: str | None = None,
        audience: Text | None = None,  # type: ignore[valid-type]
        voice: Text | None = None,  # type: ignore[valid-type]
        hashtags: bool | None = None,
        format: str | None = None,
        posts: app_commands.Range[int, THREAD_POSTS[0], THREAD_POSTS[1]] | None = None,
    ) -> None:
        typed = {
            "tone": tone,
            "platform": platform,
            "industry": industry,
            "variants": variants,
            "length": length,
            "audience": audience,
            "voice": voice,
            "hashtags": hashtags,
            "format": format,
            "posts": posts,
        }
        given = {k: v for k, v in typed.items() if v is not None}
        await responder.command(interaction, {"prompt": prompt, **given}, typed_options=bool(given))

    @app_commands.command(
        name="postpulse-help", description="How to use PostPulse: options, tones, platforms"
    )
    @app_commands.describe(topic="What to list")
    @app_commands.choices(
        topic=[app_commands.Choice(name=n, value=n) for n in ("usage", "tones", "platforms", "industries")]
    )
    @contexts
    @installs
    async def postpulse_help(interaction: Interaction, topic: str | None = None) -> None:
        await responder.info(interaction, "help" if topic in (None, "usage") else str(topic))

    @app_commands.command(
        name="postpulse-defaults",
        description="Show, set or clear this channel's default tone, platform and more",
    )
    @app_commands.describe(
        action="show (default), set the options given, or clear them all",
        review="Where Send for review posts this channel's drafts (default: this channel)",
        **{k: v for k, v in OPTION_HELP.items() if k != "prompt"},
        **FORMAT_HELP,
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=n, value=n) for n in ("show", "set", "clear")],
        length=[app_commands.Choice(name=n, value=n) for n in LENGTHS],
        format=[app_commands.Choice(name=n, value=n) for n in FORMATS],
    )
    @_typed(contexts, catalog)
    @installs
    async def postpulse_defaults(
        interaction: Interaction,
        action: str = "show",
        tone: str | None = None,
        platform: str | None = None,
        industry: str | None = None,
        variants: Variants | None = None,  # type: ignore[valid-type]
        length: str | None = None,
        audience: Text | None = None,  # type: ignore[valid-type]
        voice: Text | None = None,  # type: ignore[valid-type]
        hashtags: bool | None = None,
        format: str | None = None,
        posts: app_commands.Range[int, THREAD_POSTS[0], THREAD_POSTS[1]] | None = None,
        review: discord.TextChannel | None = None,
    ) -> None:
        options = grammar_text(
            {
                "tone": tone,
                "platform": platform,
                "industry": industry,
                "variants": variants,
                "length": length,
                "audience": audience,
                "voice": voice,
                "hashtags": hashtags,
                "format": format,
                "posts": posts,
                "review": f"<#{review.id}>" if review is not None else None,
            }
        )
        if action == "set" and not options:
            await interaction.response.send_message(
                "⚠️ Pick at least one option to set: tone, platform, industry, variants, length, "
                "audience, voice, hashtags, format, posts or review.",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        if action == "clear":
            text = "defaults clear"
        elif action == "set" or options:
            text = f"defaults {options}".rstrip()
        else:
            text = "defaults show"
        await responder.info(interaction, text)

    return [postpulse, postpulse_help, postpulse_defaults]
