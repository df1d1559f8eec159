"""Brief + catalogues -> chat messages for the model's chat template.

Always sends our own system turn: SmolLM's template otherwise injects "You are SmolLM...".
"""

from __future__ import annotations

from bot.brief import Brief
from bot.catalog import Catalog

Message = dict[str, str]


def _hashtag_rule(brief: Brief, catalog: Catalog) -> str:
    norm = catalog.platforms[brief.platform].hashtags
    if not brief.hashtags or norm.max == 0:
        return "Do not use hashtags."
    if norm.min == norm.max:
        return f"End with exactly {norm.max} relevant hashtags."
    return f"Use {max(norm.min, 1)} to {norm.max} relevant hashtags, placed at the end."


def system_prompt(brief: Brief, catalog: Catalog) -> str:
    tone = catalog.tones[brief.tone]
    platform = catalog.platforms[brief.platform]
    low, high = platform.typical_words
    lines = [
        "You are PostPulse, an expert social media copywriter.",
        f"Write one {platform.display_name} post in a {brief.tone} tone: {tone.description}",
        "Tone rules:",
        *[f"- {rule}" for rule in tone.rules],
        f"Platform: {platform.format_notes} Hard limit: {platform.char_limit} characters; "
        f"aim for {low}-{high} words. Emoji use: {platform.emoji}.",
        _hashtag_rule(brief, catalog),
    ]
    if brief.industry:
        industry = catalog.industries[brief.industry]
        terms = ", ".join(industry.terminology[:6])
        lines.append(f"Industry: {brief.industry.replace('_', ' ')}. Audience: {industry.audience}")
        if terms:
            lines.append(f"Useful vocabulary: {terms}.")
    if brief.brand_voice:
        lines.append(f"Brand voice: {brief.brand_voice}")
    lines.append("Reply with the post text only: no title, no quotes, no explanations.")
    return "\n".join(lines)


def user_prompt(brief: Brief) -> str:
    parts = [brief.prompt]
    if brief.audience:
        parts.append(f"Audience: {brief.audience}")
    if brief.call_to_action:
        parts.append(f"Call to action: {brief.call_to_action}")
    return "\n".join(parts)


def build_messages(brief: Brief, catalog: Catalog) -> list[Message]:
    return [
        {"role": "system", "content": system_prompt(brief, catalog)},
        {"role": "user", "content": user_prompt(brief)},
    ]
