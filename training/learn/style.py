"""The style markers a brand's posts share, and how often a set of drafts shows them.

Why these three: a sign-off, hashtags and emoji are what a team fixes by hand in every draft the
shipped model writes, and each can be counted without a judge model. A marker's rate is the share of
posts that show it; the brand's own rates (from its approved posts) are the target.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.postprocess import EMOJI, HASHTAG, join_tags, split_trailing_hashtags

SIGN_OFF_MIN_SHARE = 0.3  # a closing phrase at least this many of the brand's posts end with
SIGN_OFF_MAX_CHARS = 60
_CLOSING_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|\s+(?=[—–]\s*\S)")
_EMOJI = re.compile(EMOJI)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def closing(text: str) -> str:
    """The post's last phrase: its last line or sentence, or what follows a dash ("— Team Acme"),
    without a closing hashtag block."""
    body, _ = split_trailing_hashtags(text)
    parts = [p.strip(" \t—–-") for p in _CLOSING_SPLIT.split(body.strip())]
    parts = [p for p in parts if p]
    return parts[-1] if parts else ""


def sign_off(posts: Sequence[str]) -> str | None:
    """The closing phrase the brand's posts most often end with, when enough of them do."""
    counts = Counter(_fold(c) for c in map(closing, posts) if c and len(c) <= SIGN_OFF_MAX_CHARS)
    if not counts or not posts:
        return None
    phrase, count = counts.most_common(1)[0]
    if count < 2 or count / len(posts) < SIGN_OFF_MIN_SHARE:
        return None
    original = next(c for c in map(closing, posts) if _fold(c) == phrase)
    return original


def has_sign_off(text: str, phrase: str) -> bool:
    """The phrase closes the post (its last 40% or 120 characters, whichever is longer)."""
    folded, want = _fold(text), _fold(phrase)
    tail = max(120, int(len(folded) * 0.4))
    return want in folded[-tail:]


def without_sign_off(text: str, phrase: str | None) -> str:
    """The body a reader judges for a complete ending: the brand's sign-off is style, not a cut."""
    if not phrase or not has_sign_off(text, phrase):
        return text
    body, tags = split_trailing_hashtags(text)
    pattern = re.compile(r"\s+".join(map(re.escape, phrase.split())), re.IGNORECASE)
    found = list(pattern.finditer(body))
    if not found:
        return text
    return join_tags(body[: found[-1].start()].rstrip(" \t\n—–-"), tags)


@dataclass(frozen=True)
class StyleRates:
    sign_off: float | None  # None: the brand has no sign-off
    hashtags: float
    emoji: float

    def distance(self, target: StyleRates) -> float:
        """Mean absolute gap to the brand's rates over the markers the brand has (lower is closer)."""
        gaps = [abs(self.hashtags - target.hashtags), abs(self.emoji - target.emoji)]
        if target.sign_off is not None and self.sign_off is not None:
            gaps.append(abs(self.sign_off - target.sign_off))
        return sum(gaps) / len(gaps)


def rates(texts: Sequence[str], phrase: str | None) -> StyleRates:
    n = max(len(texts), 1)
    return StyleRates(
        sign_off=sum(has_sign_off(t, phrase) for t in texts) / n if phrase else None,
        hashtags=sum(bool(HASHTAG.search(t)) for t in texts) / n,
        emoji=sum(bool(_EMOJI.search(t)) for t in texts) / n,
    )
