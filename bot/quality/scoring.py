"""The transparent best-of-n score: six named criteria, each in 0..1, and their weighted mean.

Why a hand-weighted sum rather than a learned reward model: integrators and maintainers can read
every number in the breakdown and see why one draft beat another; the weights below are the policy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bot.quality.factguard import invented
from bot.voice import first_person_singular

WEIGHTS: dict[str, float] = {
    "key_terms": 3.0,  # on topic matters most: a marketer deletes an off-topic draft at once
    "facts": 2.0,  # an invented price or date is a liability, not a style issue
    "ending": 1.5,
    "tone": 1.5,
    "voice": 1.0,
    "length": 1.0,
}

# Words in a brief that describe the task or are too general to be its topic.
# fmt: off
TASK_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "of", "for", "to", "in", "on", "at", "by", "with", "from",
    "into", "about", "our", "your", "their", "its", "this", "that", "these", "those", "is", "are", "be",
    "was", "were", "will", "can", "could", "should", "would", "we", "us", "you", "they", "it", "i",
    "me", "my", "pls", "please", "post", "posts", "promo", "promote", "promotion", "write", "create",
    "make", "generate", "caption", "tweet", "announce", "announcement", "share", "need", "quick",
    "short", "keep", "idea", "new", "now", "some", "just", "tell", "people", "page", "social", "media",
    "something", "about", "really", "very", "more", "most", "also", "get", "got", "let", "lets", "want",
    "like", "help", "our's", "post's", "fun", "bit", "little",
))
# fmt: on
WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")
# A voice that asks to speak as a person ("first person from the founder", "as Maya, our owner").
PERSON_VOICE = re.compile(r"\b(?:first[- ]person|founder|owner|I\b|me\b|my\b|personal|as [A-Z][a-z]+)", re.I)


def stem(word: str) -> str:
    word = word.lower().strip("'’-")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def key_terms(brief: str, limit: int = 4) -> list[str]:
    """The brief's topic words, in order: what a draft must mention to be on topic."""
    words = [w for part in WORD.findall(brief.lower()) for w in re.split(r"[-’']", part) if w]
    terms = [w for w in words if len(w) >= 3 and w not in TASK_WORDS]
    return list(dict.fromkeys(terms))[:limit]


def coverage(text: str, terms: Sequence[str]) -> float:
    """Share of `terms` the text mentions (any inflection: "tools" covers "tool")."""
    if not terms:
        return 1.0
    stems = {stem(w) for part in WORD.findall(text.lower()) for w in re.split(r"[-’']", part) if w}
    joined = re.sub(r"[^a-z]", "", text.lower())  # hashtags: #GardenTools covers "garden" and "tools"
    hits = sum(1 for t in terms if stem(t) in stems or (len(t) >= 4 and stem(t) in joined))
    return hits / len(terms)


def voice_allows_first_person(voice: str | None) -> bool:
    return bool(voice and PERSON_VOICE.search(voice))


def length_fit(words: int, typical: tuple[int, int]) -> float:
    """1 inside the platform's typical range, falling linearly to 0 at half (or double) of it."""
    low, high = typical
    if low <= words <= high:
        return 1.0
    if words < low:
        return max(0.0, (words - low / 2) / (low / 2))
    return max(0.0, 1.0 - (words - high) / high)


@dataclass(frozen=True)
class Score:
    key_terms: float
    facts: float
    ending: float
    tone: float
    voice: float
    length: float
    total: float
    invented: tuple[str, ...] = ()
    missing_terms: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["invented"] = list(self.invented)
        out["missing_terms"] = list(self.missing_terms)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def score(
    *,
    raw: str,
    final: str,
    brief: str,
    sources: Sequence[str | None],
    typical_words: tuple[int, int],
    complete_ending: bool,
    tone_agreement: float | None,
    voice: str | None = None,
) -> Score:
    """Score one candidate. `raw` is the model's text (what it invented, how it ended); `final` the
    post-processed draft the user would get (topic, voice, length)."""
    terms = key_terms(brief)
    cover = coverage(final, terms)
    missing = tuple(t for t in terms if coverage(final, [t]) == 0.0)
    made_up = tuple(s.text for s in invented(raw, sources))
    parts = {
        "key_terms": cover,
        "facts": 1.0 / (1 + len(made_up)) if made_up else 1.0,
        "ending": 1.0 if complete_ending else 0.0,
        "tone": tone_agreement if tone_agreement is not None else 0.5,
        # the raw text: a draft that bot.voice had to rewrite into "we" reads worse than one born in it
        "voice": 1.0 if voice_allows_first_person(voice) or not first_person_singular(raw) else 0.0,
        "length": length_fit(len(final.split()), typical_words),
    }
    total = sum(WEIGHTS[k] * v for k, v in parts.items()) / sum(WEIGHTS.values())
    return Score(**parts, total=total, invented=made_up, missing_terms=missing)
