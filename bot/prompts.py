"""Brief + catalogues -> chat messages for the model's chat template.

Two formats:
- `full`: an instruction prompt spelling out tone rules, platform notes and vocabulary, for base models
  that never saw PostPulse data;
- `compact`: a short control header (platform, tone, industry, hashtags, audience, voice, call to
  action) plus the brief, which the PostPulse adapter is trained on and served with. The adapter
  learned the rules from examples, so repeating them costs prompt tokens and teaches nothing.

Both always send our own system turn (SmolLM's template otherwise injects "You are SmolLM..."), and
both put what briefs share first (the constant system turn, then the low-cardinality header fields)
and the brief last, so prefix caches (vLLM's automatic prefix caching) hit for most of the prompt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from bot.brief import Brief
from bot.catalog import Catalog

log = logging.getLogger(__name__)

Message = dict[str, str]
PromptFormat = Literal["full", "compact"]
PROMPT_FORMATS: tuple[str, ...] = ("full", "compact")
# The compact format's version, recorded in the adapter's metadata (postpulse.json: prompt_format).
COMPACT_VERSION = "compact-v1"
COMPACT_SYSTEM = "You are PostPulse. Write the social media post the header and brief describe."


def _hashtag_rule(platform: str, hashtags: bool, catalog: Catalog) -> str:
    norm = catalog.platforms[platform].hashtags
    if not hashtags or norm.max == 0:
        return "Do not use hashtags."
    if norm.min == norm.max:
        return f"End with exactly {norm.max} relevant hashtags."
    return f"Use {max(norm.min, 1)} to {norm.max} relevant hashtags, placed at the end."


def system_prompt(brief: Brief, catalog: Catalog) -> str:
    return copywriter_prompt(
        catalog,
        brief.tone,
        brief.platform,
        brief.industry,
        hashtags=brief.hashtags,
        brand_voice=brief.brand_voice,
    )


def copywriter_prompt(
    catalog: Catalog,
    tone_name: str,
    platform_name: str,
    industry_name: str | None = None,
    *,
    hashtags: bool = True,
    brand_voice: str | None = None,
) -> str:
    """The `full` instructions from canonical catalogue keys alone, so a caller without a brief
    (bot.chat: an OpenAI client's own messages) gets the same voice /generate-text writes in."""
    tone = catalog.tones[tone_name]
    platform = catalog.platforms[platform_name]
    low, high = platform.typical_words
    lines = [
        "You are PostPulse, an expert social media copywriter.",
        f"Write one {platform.display_name} post in a {tone_name} tone: {tone.description}",
        "Tone rules:",
        *[f"- {rule}" for rule in tone.rules],
        f"Platform: {platform.format_notes} Hard limit: {platform.char_limit} characters; "
        f"aim for {low}-{high} words. Emoji use: {platform.emoji}.",
        _hashtag_rule(platform_name, hashtags, catalog),
    ]
    if industry_name:
        industry = catalog.industries[industry_name]
        terms = ", ".join(industry.terminology[:6])
        lines.append(f"Industry: {industry_name.replace('_', ' ')}. Audience: {industry.audience}")
        if terms:
            lines.append(f"Useful vocabulary: {terms}.")
    if brand_voice:
        lines.append(f"Brand voice: {brand_voice}")
    lines.append(
        'Speak as the brand ("we"). Use only the facts given; invent no prices, dates, names or handles.'
    )
    lines.append("Reply with the post text only: no title, no quotes, no explanations.")
    return "\n".join(lines)


def user_prompt(brief: Brief) -> str:
    parts = [brief.prompt]
    if brief.audience:
        parts.append(f"Audience: {brief.audience}")
    if brief.call_to_action:
        parts.append(f"Call to action: {brief.call_to_action}")
    return "\n".join(parts)


def compact_header(brief: Brief, catalog: Catalog) -> str:
    """The control header: one `key: value` line per field, shared fields first, the brief last."""
    hashtags = brief.hashtags and catalog.platforms[brief.platform].hashtags.max > 0
    lines = [
        f"platform: {brief.platform}",
        f"tone: {brief.tone}",
        f"industry: {brief.industry.replace('_', ' ') if brief.industry else 'general'}",
        f"hashtags: {'on' if hashtags else 'off'}",
    ]
    if brief.audience:
        lines.append(f"audience: {brief.audience}")
    if brief.brand_voice:
        lines.append(f"voice: {brief.brand_voice}")
    if brief.call_to_action:
        lines.append(f"cta: {brief.call_to_action}")
    lines.append(f"brief: {brief.prompt}")
    return "\n".join(lines)


def examples_section(examples: Sequence[str]) -> str:
    """The brand kit's example posts closest to the brief (bot.brandkit.examples picks and clips
    them within its budget), as style references. They close the system turn, after the rules that
    every brief shares, so a prefix cache still holds the rules; an empty list adds nothing."""
    if not examples:
        return ""
    posts = "\n".join(f"---\n{text}" for text in examples)
    return f"\nPosts this brand has published (match their style and voice; do not copy them):\n{posts}\n---"


def build_messages(
    brief: Brief, catalog: Catalog, fmt: PromptFormat = "full", examples: Sequence[str] = ()
) -> list[Message]:
    if fmt == "compact":
        return [
            {"role": "system", "content": COMPACT_SYSTEM + examples_section(examples)},
            {"role": "user", "content": compact_header(brief, catalog)},
        ]
    return [
        {"role": "system", "content": system_prompt(brief, catalog) + examples_section(examples)},
        {"role": "user", "content": user_prompt(brief)},
    ]


def prompt_format_for(setting: Literal["auto", "full", "compact"], adapter: str | None) -> PromptFormat:
    """`quality.prompt_format` resolved for the served adapter: `auto` reads what it learned."""
    return adapter_prompt_format(adapter) if setting == "auto" else setting


def adapter_prompt_format(adapter: str | Path | None) -> PromptFormat:
    """The format an adapter was trained on (its postpulse.json), `full` for no adapter or an old one."""
    if not adapter:
        return "full"
    meta = Path(adapter) / "postpulse.json"
    try:
        recorded = json.loads(meta.read_text(encoding="utf-8")).get("prompt_format", "")
    except (OSError, ValueError):
        log.info("no readable %s: serving the full instruction prompt", meta)
        return "full"
    return "compact" if str(recorded).startswith("compact") else "full"
