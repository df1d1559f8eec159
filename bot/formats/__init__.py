"""Formats beyond a single post (issue 20): a thread for X, Threads or Bluesky, a carousel for
Instagram or LinkedIn.

Call `plan_format(fmt, brief.platform, catalog, material_chars=..., count=posts)` to validate the
request, then `await write_parts(draft_service, brief, plan)`; `Formatted.parts.payload()` and
`.generated_text` are what HTTP returns.
"""

from bot.formats.parts import Parts, Slide, ThreadPost
from bot.formats.shape import (
    CAROUSEL_PLATFORMS,
    FORMATS,
    THREAD_PLATFORMS,
    CarouselPlan,
    FormatName,
    Plan,
    ThreadPlan,
    brief_plan,
    check_format,
    native_plan,
    plan_format,
    reformatted,
    resized,
)
from bot.formats.write import DraftSource, Formatted, brief_specifics, write_parts

__all__ = [
    "CAROUSEL_PLATFORMS",
    "FORMATS",
    "THREAD_PLATFORMS",
    "CarouselPlan",
    "DraftSource",
    "FormatName",
    "Formatted",
    "Parts",
    "Plan",
    "Slide",
    "ThreadPlan",
    "ThreadPost",
    "brief_plan",
    "brief_specifics",
    "check_format",
    "native_plan",
    "plan_format",
    "reformatted",
    "resized",
    "write_parts",
]
