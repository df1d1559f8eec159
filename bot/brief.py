"""The one request shape every front door converts to: a marketing brief."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.catalog import Catalog
from bot.errors import InvalidOption
from engine.config import EngineConfig

DEFAULT_TEMPERATURE = 0.7
SEED_MAX = 2**32 - 1  # torch generators reject larger seeds; every front door bounds them by this
# Unicode categories a reader can see: letters, numbers, punctuation, symbols. Not Z* (spaces), M (marks
# need a base; variation selectors are marks), Cf (zero-width characters, the soft hyphen), Cc, Co, Cn.
VISIBLE = frozenset("LNPS")
# A single post, a thread of numbered posts, or a carousel's slides and caption (bot.formats).
FormatName = Literal["post", "thread", "carousel"]


class Brief(BaseModel):
    """A validated brief: names are canonical catalogue keys, numbers inside configured limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    platform: str = "instagram"
    tone: str = "professional"
    industry: str | None = None
    max_length: int = 150
    audience: str | None = None
    brand_voice: str | None = None
    call_to_action: str | None = None
    hashtags: bool = True
    variants: int = 1
    seed: int | None = Field(None, ge=0, le=SEED_MAX)
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0.0, le=2.0)
    # Which platforms take which format, and how many parts, is bot.formats.brief_plan's to say.
    format: FormatName = "post"
    posts: int | None = None  # posts:N (a thread's posts, a carousel's slides); None: by length


BRIEF_FIELDS = tuple(Brief.model_fields)


def _first_error(exc: ValidationError) -> InvalidOption:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] == "extra_forbidden":
        return InvalidOption(
            f"Unknown field '{field}'. Allowed fields: {', '.join(BRIEF_FIELDS)}.",
            field=field,
            allowed=BRIEF_FIELDS,
        )
    return InvalidOption(f"Invalid '{field}': {err['msg']}.", field=field)


def make_brief(raw: Mapping[str, Any], catalog: Catalog, limits: EngineConfig) -> Brief:
    """Validate raw fields (from any adapter) into a Brief, or raise InvalidRequest naming the field."""
    data = {k: v for k, v in raw.items() if v is not None}
    data.setdefault("max_length", limits.default_max_new_tokens)
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from exc

    prompt = brief.prompt.strip()
    if not prompt:
        raise InvalidOption("The prompt is empty: describe what the post is about.", field="prompt")
    if not any(unicodedata.category(ch)[0] in VISIBLE for ch in prompt):
        raise InvalidOption(
            "The prompt has no visible characters (only spaces or invisible ones such as zero-width "
            "spaces): describe what the post is about.",
            field="prompt",
        )
    if len(prompt) > limits.max_prompt_chars:
        raise InvalidOption(
            f"The prompt is {len(prompt):,} characters; the limit is {limits.max_prompt_chars:,}.",
            field="prompt",
        )
    if not 1 <= brief.max_length <= limits.max_new_tokens_cap:
        raise InvalidOption(
            f"max_length must be between 1 and {limits.max_new_tokens_cap} tokens (got {brief.max_length}).",
            field="max_length",
        )
    if not 1 <= brief.variants <= limits.max_variants:
        raise InvalidOption(
            f"variants must be between 1 and {limits.max_variants} (got {brief.variants}).",
            field="variants",
        )
    return brief.model_copy(
        update={
            "prompt": prompt,
            "tone": catalog.tone(brief.tone),
            "platform": catalog.platform(brief.platform),
            "industry": catalog.industry(brief.industry) if brief.industry else None,
        }
    )
