"""The chat messages for a thread or a carousel: the copywriter's rules plus the shape, spelled out as
the literal form to answer in (`1/ …`, `Slide 1: headline | line`), which small models follow far
more often than a description of it. The brief goes last, as in bot.prompts, for prefix caches.
"""

from __future__ import annotations

from bot.brief import Brief
from bot.catalog import Catalog
from bot.formats.shape import HEADLINE_WORDS, LINE_WORDS, CarouselPlan, Plan, ThreadPlan
from bot.prompts import Message, user_prompt

# Tokens per part, with room for the numbering: enough for the platform's length, never the whole cap.
THREAD_TOKENS_PER_POST = 80
SLIDE_TOKENS = 45
CAPTION_TOKENS = 90


def max_new_tokens(plan: Plan, cap: int) -> int:
    if isinstance(plan, ThreadPlan):
        per_post = min(THREAD_TOKENS_PER_POST, plan.body_limit // 3)
        return min(cap, plan.posts * per_post + 16)
    return min(cap, plan.slides * SLIDE_TOKENS + CAPTION_TOKENS)


def _tone_and_facts(brief: Brief, catalog: Catalog) -> list[str]:
    tone = catalog.tones[brief.tone]
    lines = [f"Tone: {brief.tone}: {tone.description}", *[f"- {rule}" for rule in tone.rules[:3]]]
    if brief.industry:
        lines.append(f"Industry: {brief.industry.replace('_', ' ')}.")
    if brief.brand_voice:
        lines.append(f"Brand voice: {brief.brand_voice}")
    lines.append(
        'Speak as the brand ("we"). Use only the facts given; invent no prices, dates, names or handles. '
        "Keep every number, price, date and time exactly as the brief gives it."
    )
    return lines


def thread_system(brief: Brief, plan: ThreadPlan, catalog: Catalog) -> str:
    platform = catalog.platforms[plan.platform]
    n = plan.posts
    tags = platform.hashtags
    hashtags = (
        f"Put {max(tags.min, 1)} to {tags.max} hashtags at the end of post {n} only."
        if brief.hashtags and tags.max > 0
        else "Use no hashtags."
    )
    form = "\n".join(f"{i}/ post {i}" for i in range(1, n + 1))
    return "\n".join(
        [
            "You are PostPulse, an expert social media copywriter.",
            f"Write a thread of {n} numbered posts for {platform.display_name}.",
            f"Each post is under {plan.body_limit} characters and says one thing.",
            "Post 1 is a hook that makes people read on. "
            f"Post {n} is a call to action. The posts between carry the facts.",
            hashtags,
            *_tone_and_facts(brief, catalog),
            f"Reply with the {n} posts only, in exactly this form:",
            form,
        ]
    )


def carousel_system(brief: Brief, plan: CarouselPlan, catalog: Catalog) -> str:
    platform = catalog.platforms[plan.platform]
    n = plan.slides
    tags = platform.hashtags
    hashtags = (
        f"End the caption with {max(tags.min, 1)} to {tags.max} hashtags; no hashtags on the slides."
        if brief.hashtags and tags.max > 0
        else "Use no hashtags."
    )
    form = "\n".join(f"Slide {i}: headline | line" for i in range(1, n + 1))
    return "\n".join(
        [
            "You are PostPulse, an expert social media copywriter.",
            f"Write a {platform.display_name} carousel of {n} slides, then its caption.",
            f"Each slide has a headline of at most {HEADLINE_WORDS} words and one line of at most "
            f"{LINE_WORDS} words.",
            f"Slide 1 is a hook. Slide {n} is a call to action. The slides between carry the facts.",
            hashtags,
            *_tone_and_facts(brief, catalog),
            "Reply in exactly this form:",
            form,
            "Caption: the caption",
        ]
    )


def format_messages(brief: Brief, plan: Plan, catalog: Catalog) -> list[Message]:
    system = (
        thread_system(brief, plan, catalog)
        if isinstance(plan, ThreadPlan)
        else carousel_system(brief, plan, catalog)
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user_prompt(brief)}]
