"""The non-generation answers: usage help, catalogue lists, channel defaults (plain text with light
markdown that Slack, Discord and a terminal all render acceptably)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.brandkit.kit import BrandKit
from bot.catalog import Catalog
from bot.grammar import describe_options

USAGE = """*Usage:* `/postpulse [key:value …] what the post is about`
*Example:* `/postpulse tone:casual platform:linkedin audience:"small business owners" Launch of our new phone`

*Options* (any order, any case; quote values with spaces):
- `tone:` casual, witty, … (`/postpulse tones`)
- `platform:` linkedin, x (twitter), instagram, … (`/postpulse platforms`);
  `platform:x,linkedin` writes one draft per platform
- `url:https://…` — write from a web page: its title, key points and facts become the brief
- `industry:` retail, technology, … (`/postpulse industries`)
- `variants:1-{max_variants}` — several drafts to pick from
- `length:short|medium|long` or a number of tokens
- `hashtags:on|off`
- `format:post|thread|carousel` — a thread (x, threads, bluesky) or a carousel (instagram, \
linkedin); `posts:N` sets its posts (2-10) or slides (3-10)
- `audience:"…"`, `cta:"…"` (call to action), `voice:"…"` (brand voice)

*Channel defaults:* `/postpulse defaults tone:casual platform:linkedin voice:"friendly, no jargon"` saves \
them for this channel; `/postpulse defaults` shows them; `/postpulse defaults clear` removes them.

*Brand kit* (admins change it): `/postpulse brand show`; \
`/postpulse brand set banned:"cheap,guaranteed" disclaimer:"Terms apply." hashtags:"#ad" emoji:none`; \
`/postpulse brand examples add …` (a post in the brand's style); \
`/postpulse brand stats` (admins and reviewers: how the brand's adapter versions do in their A/B test)."""


def usage(max_variants: int) -> str:
    return USAGE.format(max_variants=max_variants)


def tones(catalog: Catalog) -> str:
    lines = ["*Tones* (`tone:NAME`):"]
    for name, tone in catalog.tones.items():
        alias = f" (also: {', '.join(tone.aliases)})" if tone.aliases else ""
        lines.append(f"- *{name}*{alias}: {tone.description}")
    return "\n".join(lines)


def platforms(catalog: Catalog) -> str:
    lines = ["*Platforms* (`platform:NAME`):"]
    for name, platform in catalog.platforms.items():
        alias = f" (also: {', '.join(platform.aliases)})" if platform.aliases else ""
        low, high = platform.typical_words
        lines.append(
            f"- *{name}*{alias}: {platform.display_name}, up to {platform.char_limit:,} characters, "
            f"usually {low}-{high} words"
        )
    return "\n".join(lines)


def industries(catalog: Catalog) -> str:
    lines = ["*Industries* (`industry:NAME`):"]
    for name, industry in catalog.industries.items():
        alias = f" (also: {', '.join(industry.aliases)})" if industry.aliases else ""
        lines.append(f"- *{name}*{alias}: {industry.audience}")
    return "\n".join(lines)


def defaults(channel: Mapping[str, Any], workspace: Mapping[str, Any]) -> str:
    if not channel and not workspace:
        return (
            "No defaults for this channel. Set some with `/postpulse defaults tone:casual platform:linkedin`."
        )
    lines = []
    if channel:
        lines.append(f"*This channel:* {describe_options(channel)}")
    if workspace:
        lines.append(f"*Workspace (from the server config):* {describe_options(workspace)}")
    lines.append("Options you type win over these; `/postpulse defaults clear` removes the channel's.")
    return "\n".join(lines)


def defaults_saved(options: Mapping[str, Any]) -> str:
    return f"Saved for this channel: {describe_options(options)}"


def brand_kit(kit: BrandKit) -> str:
    """`/postpulse brand show`: every rule the brand's drafts obey."""

    def listed(items: tuple[str, ...]) -> str:
        return ", ".join(items) if items else "none"

    lines = [
        f"*Brand:* {kit.brand}",
        f"- voice: {kit.voice or 'none'}",
        f"- banned: {listed(kit.banned)}",
        f"- disclaimer: {kit.disclaimer or 'none'}",
        f"- required hashtags: {listed(kit.required_hashtags)}",
        f"- preferred hashtags: {listed(kit.preferred_hashtags)}",
        f"- emoji: {kit.emoji or 'the platform norm'}",
        f"- example posts: {len(kit.examples)}",
    ]
    lines += [f"  • {text[:80]}{'…' if len(text) > 80 else ''}" for text in kit.examples[-3:]]
    return "\n".join(lines)
