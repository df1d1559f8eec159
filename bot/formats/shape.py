"""What a format asks of a platform: which platforms take a thread or a carousel, how many parts, and
the parts' limits. Pure rules, no model: the grammar, HTTP and the playground validate with these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from bot.brief import Brief, FormatName
from bot.catalog import Catalog
from bot.errors import InvalidOption

FORMATS: tuple[FormatName, ...] = ("post", "thread", "carousel")
THREAD_PLATFORMS = ("x", "threads", "bluesky")
CAROUSEL_PLATFORMS = ("instagram", "linkedin")
THREAD_POSTS = (2, 10)
CAROUSEL_SLIDES = (3, 10)
FORMAT_PLATFORMS: dict[FormatName, tuple[str, ...]] = {
    "post": (),
    "thread": THREAD_PLATFORMS,
    "carousel": CAROUSEL_PLATFORMS,
}
HEADLINE_WORDS = 8
LINE_WORDS = 25
# "10/10 " is the longest number a thread post carries; every post's body fits the rest.
NUMBER_ROOM = len("10/10 ")


@dataclass(frozen=True)
class ThreadPlan:
    platform: str
    posts: int
    char_limit: int  # the platform's, for the whole post with its number
    given: bool = False  # posts:N was asked for; a repair keeps the count

    kind: Literal["thread"] = "thread"

    @property
    def count(self) -> int:
        return self.posts

    @property
    def body_limit(self) -> int:
        return self.char_limit - NUMBER_ROOM

    def resized(self, count: int) -> ThreadPlan:
        """Remix: `shorter` asks for fewer parts, `longer` for more, within the format's range."""
        return replace(self, posts=min(max(count, THREAD_POSTS[0]), THREAD_POSTS[1]))


@dataclass(frozen=True)
class CarouselPlan:
    platform: str
    slides: int
    caption_limit: int  # the platform's character limit applies to the caption
    given: bool = False

    kind: Literal["carousel"] = "carousel"

    @property
    def count(self) -> int:
        return self.slides

    def resized(self, count: int) -> CarouselPlan:
        return replace(self, slides=min(max(count, CAROUSEL_SLIDES[0]), CAROUSEL_SLIDES[1]))


Plan = ThreadPlan | CarouselPlan


def _names(catalog: Catalog, keys: tuple[str, ...]) -> str:
    names = [catalog.platforms[k].display_name for k in keys if k in catalog.platforms]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def check_format(name: str) -> FormatName:
    wanted = name.strip().lower()
    for fmt in FORMATS:
        if fmt == wanted:
            return fmt
    raise InvalidOption(
        f"Unknown format '{name}'. Valid formats: {', '.join(FORMATS)}.",
        field="format",
        allowed=FORMATS,
        value=name,
    )


def check_posts(value: object) -> int:
    """posts:N on its own (the grammar's check); whether it suits the format is plan_format's."""
    low, high = min(THREAD_POSTS[0], CAROUSEL_SLIDES[0]), max(THREAD_POSTS[1], CAROUSEL_SLIDES[1])
    n = int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else 0
    if isinstance(value, bool) or not low <= n <= high:
        raise InvalidOption(
            f"posts must be a number from {low} to {high}: a thread has {THREAD_POSTS[0]} to "
            f"{THREAD_POSTS[1]} posts, a carousel {CAROUSEL_SLIDES[0]} to {CAROUSEL_SLIDES[1]} slides "
            f"(got '{value}').",
            field="posts",
            allowed=[str(i) for i in range(low, high + 1)],
            value=str(value),
        )
    return n


def count_by_length(fmt: Literal["thread", "carousel"], material_chars: int, part_chars: int) -> int:
    """Enough parts for the material, plus the hook and the call to action (a thread) or the title
    slide (a carousel): a typed one-line brief makes 3, a page's key points up to 10."""
    if fmt == "thread":
        body = math.ceil(material_chars / max(1, int(part_chars * 0.7)))
        return min(max(body + 2, 3), THREAD_POSTS[1])
    body = math.ceil(material_chars / 150)
    return min(max(body + 1, CAROUSEL_SLIDES[0]), CAROUSEL_SLIDES[1])


def plan_format(
    fmt: str,
    platform: str,
    catalog: Catalog,
    *,
    material_chars: int,
    count: int | None = None,
) -> Plan | None:
    """The plan for `fmt` on `platform` (a canonical key; None for a plain post), or InvalidOption
    naming what is allowed. `count` is posts:N (slides for a carousel); by default the material's
    length (the brief, or a page's key points) sets it."""
    name = check_format(fmt)
    if name == "post":
        if count is not None:
            raise InvalidOption("posts:N goes with format:thread or format:carousel.", field="posts")
        return None
    keys, (low, high) = (
        (THREAD_PLATFORMS, THREAD_POSTS) if name == "thread" else (CAROUSEL_PLATFORMS, CAROUSEL_SLIDES)
    )
    if platform not in keys:
        shown = catalog.platforms[platform].display_name if platform in catalog.platforms else platform
        raise InvalidOption(
            f"A {name} is for {_names(catalog, keys)}, not {shown}: pick one of those platforms, or "
            "format:post.",
            field="format",
            allowed=keys,
            value=name,
        )
    if count is not None and not low <= count <= high:
        unit = "posts" if name == "thread" else "slides"
        raise InvalidOption(
            f"A {name} has {low} to {high} {unit} (got {count}).", field="posts", value=str(count)
        )
    limit = catalog.platforms[platform].char_limit
    if name == "thread":
        posts = count or count_by_length("thread", material_chars, limit - NUMBER_ROOM)
        return ThreadPlan(platform, posts, limit, given=count is not None)
    slides = count or count_by_length("carousel", material_chars, limit)
    return CarouselPlan(platform, slides, limit, given=count is not None)


def brief_plan(brief: Brief, catalog: Catalog) -> Plan | None:
    """The plan a brief asks for (None: a single post), or InvalidOption for a format its platform
    does not take or a count out of range. The brief's own prompt is the material a count follows."""
    return plan_format(
        brief.format, brief.platform, catalog, material_chars=len(brief.prompt), count=brief.posts
    )


def reformatted(brief: Brief) -> Brief:
    """A remix to another platform keeps the format where the platform takes it, else becomes that
    platform's native single post (as native_plan does for several platforms at once)."""
    if brief.format == "post" or brief.platform in FORMAT_PLATFORMS[brief.format]:
        return brief
    return brief.model_copy(update={"format": "post", "posts": None})


def resized(brief: Brief, catalog: Catalog, count: int) -> Brief:
    """A shorter or longer remix of a thread or carousel: `count` parts, kept within the format's range."""
    plan = brief_plan(brief, catalog)
    if plan is None:
        return brief
    return brief.model_copy(update={"posts": plan.resized(count).count})


def native_plan(
    fmt: str, platform: str, catalog: Catalog, *, material_chars: int, count: int | None = None
) -> Plan | None:
    """For one platform of several (`platform:x,linkedin`): the format asked for where the platform
    takes it, else its native single post, so `format:thread platform:x,linkedin` gives an X thread
    and a LinkedIn post rather than an error. An unknown format or a bad count still raises."""
    name = check_format(fmt)
    keys = FORMAT_PLATFORMS[name]
    if platform not in keys:
        if name != "post":
            plan_format(
                name, keys[0], catalog, material_chars=material_chars, count=count
            )  # the count's check
        return None
    return plan_format(name, platform, catalog, material_chars=material_chars, count=count)
