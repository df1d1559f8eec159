"""Hashtags a marketer would keep, and markup a platform would show raw.

A tag is kept when every word in it is a real word (the brief's, the industry's terminology, or one
pyspellchecker's English list knows), none is a function word or a verb form the brief did not use
(`#Formerly`, `#Integrates`, `#LuxuryWeighing`), and none is unfit for a brand (`#OrganicShoplifts`).
Why a word list rather than a POS tagger: tags are one to three words without a sentence around them,
which is where taggers guess; the rule "real word, not a bare verb form unless the brief used it" is
checkable and predictable, and the brief's own words always pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.quality.names import frequency

# fmt: off
FUNCTION_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "of", "for", "to", "in", "on", "at", "by",
    "with", "from", "into", "onto", "about", "over", "under", "after", "before", "since", "until",
    "while", "when", "where", "which", "who", "whom", "whose", "what", "that", "this", "these", "those",
    "it", "its", "we", "our", "us", "you", "your", "they", "their", "he", "she", "his", "her", "i", "my",
    "me", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "has", "have",
    "had", "will", "would", "can", "could", "should", "shall", "may", "might", "must", "not", "no",
    "very", "just", "also", "too", "than", "then", "there", "here", "if", "because", "as", "like",
    "formerly", "thus", "hence", "however", "therefore", "already", "almost", "quite", "rather",
))
# Words no brand wants in its tag line, however a model got there.
UNFIT = (
    "shoplift", "steal", "stole", "theft", "thief", "kill", "murder", "dead", "death", "drug", "cocaine",
    "sex", "porn", "nude", "hate", "racist", "scam", "fraud", "cheat", "weapon", "gun", "bomb", "suicide",
    "drunk", "vomit", "poison", "toxic", "damn", "hell", "crap", "shit", "fuck", "bitch", "ass",
)
# -ing words that name a thing or a trade, fine as a tag even when the brief did not use them.
ING_NOUNS = frozenset((
    "marketing", "baking", "hiking", "running", "shopping", "wedding", "clothing", "housing", "banking",
    "camping", "funding", "pricing", "cooking", "learning", "coding", "painting", "fishing", "training",
    "morning", "dining", "building", "catering", "parking", "gaming", "booking", "spring", "branding",
    "wellbeing", "budgeting", "financing", "investing", "lending", "listing", "staging", "tasting",
    "brewing", "roasting", "styling", "skincare", "engineering", "hiring", "recruiting", "networking",
    "fundraising", "volunteering", "teaching", "tutoring", "reading", "writing", "swimming", "cycling",
    "surfing", "skiing", "jogging", "boxing", "dancing", "crafting", "gardening", "farming", "packaging",
    "printing", "streaming", "computing", "accounting", "consulting", "manufacturing", "advertising",
    "lighting", "flooring", "roofing", "plumbing", "heating", "bedding", "seasoning", "dressing",
    "frosting", "stuffing", "pudding", "offering", "opening", "meeting", "evening", "feeling", "thanksgiving",
    "eating", "living", "cleaning", "savings", "earnings", "belongings", "beginnings", "ending",
))
NOUN_S = frozenset((
    "chocolates", "candidates", "templates", "certificates", "graduates", "associates", "advocates",
    "delegates", "climates", "estates", "ultimates", "affiliates", "laureates", "aggregates",
))
# fmt: on
MARKUP = re.compile(
    r"^\s{0,3}#{1,6}\s+\S|\*\*[^*\n]+\*\*|__[^_\n]+__|`[^`\n]+`|\[[^\]\n]+\]\([^)\n]+\)|^\s*>\s"
)
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def words_of(tag: str) -> list[str]:
    """A tag's words: CamelCase parts, digits apart, a lowercase run segmented by the word list."""
    body = tag.lstrip("#")
    parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", body)
    out: list[str] = []
    for part in parts:
        out += _segment(part.lower()) if part.islower() and len(part) > 6 else [part.lower()]
    return out


@lru_cache(maxsize=4096)
def _segment_cached(run: str) -> tuple[str, ...]:
    """Split "organicskincare" into ("organic", "skincare") where the word list allows, else whole."""
    best: list[tuple[str, ...] | None] = [()] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - 20), end):
            prev, word = best[start], run[start:end]
            if prev is None or (len(word) < 3 and word not in ("a", "an", "of", "to", "in", "on")):
                continue
            if frequency(word) > 0 and (best[end] is None or len(prev) + 1 < len(best[end] or ())):
                best[end] = (*prev, word)
    return best[len(run)] or (run,)


def _segment(run: str) -> list[str]:
    return [run] if frequency(run) > 0 else list(_segment_cached(run))


def _forms(words: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for w in words:
        w = w.lower()
        out |= {w, w + "s", w + "es", w.rstrip("s"), re.sub(r"ies$", "y", w)}
    return frozenset(out)


def vocabulary(texts: Iterable[str | None]) -> frozenset[str]:
    """Words the brief and the industry's terminology give: always fit for a tag."""
    words: list[str] = []
    for text in texts:
        if text:
            words += re.findall(r"[a-z0-9]+", text.lower())
            words += [w for tag in re.findall(r"[A-Za-z][A-Za-z0-9]+", text) for w in words_of(tag)]
    return _forms(words)


LY_WORDS = frozenset(
    ("daily", "weekly", "monthly", "yearly", "hourly", "friendly", "lovely", "lively", "early")
)


def _adverb(word: str, given: frozenset[str]) -> bool:
    """ "formerly", "quickly": an adverb (its stem a word of four letters or more) the brief did not use."""
    stem = word[:-2]
    return (
        word.endswith("ly")
        and word not in given
        and word not in LY_WORDS
        and len(stem) >= 4
        and frequency(stem) > 0
    )


def _verb_form(word: str, given: frozenset[str]) -> bool:
    if word in given:
        return False
    if word.endswith("ing"):
        return word not in ING_NOUNS
    if word.endswith("ed") and (frequency(word[:-2]) > 0 or frequency(word[:-1]) > 0):
        return True
    # "integrates", "optimizes": a third-person verb (verb-shaped stem); "rates", "chocolates" are nouns
    return len(word) >= 9 and bool(re.search(r"(?:ates|izes|ises|ifies)$", word)) and word not in NOUN_S


def tag_problem(tag: str, given: frozenset[str]) -> str | None:
    """Why `tag` breaks the rule, or None when a marketer would keep it."""
    parts = words_of(tag)
    if not parts:
        return "no words"
    joined = "".join(parts)
    for bad in UNFIT:
        if bad in joined and bad not in "".join(sorted(given)):
            return f"unfit for a brand ({bad})"
    for word in parts:
        if word.isdigit():
            continue
        if word in FUNCTION_WORDS or _adverb(word, given):
            return f"function word ({word})"
        if _verb_form(word, given):
            return f"verb form ({word})"
        if word not in given and frequency(word) == 0:
            return f"not a word ({word})"
    return None


def fit(tag: str, given: frozenset[str]) -> bool:
    return tag_problem(tag, given) is None


def bad_tags(tags: Sequence[str], given: frozenset[str]) -> list[str]:
    return [t for t in tags if not fit(t, given)]


def has_markup(text: str) -> bool:
    """Markdown a platform shows raw: headings, bold, code, links, quotes."""
    return any(MARKUP.search(line) for line in text.split("\n"))


def strip_markup(text: str) -> str:
    """Headings become their words as a sentence; bold, code and link syntax go, their words stay.

    Why keep a heading's words: "## Dark Mode" is often the post's subject; dropping it loses the key
    term, while "Dark Mode." reads as a short line a person could have written."""
    lines: list[str] = []
    for line in text.split("\n"):
        heading = HEADING.match(line)
        if heading:
            words = heading.group(1).strip(" *_")
            line = words if not words or re.search(r"[.!?…:]$", words) else words + "."
        line = re.sub(r"\*\*([^*\n]+)\*\*|__([^_\n]+)__", lambda m: m.group(1) or m.group(2), line)
        line = re.sub(r"`([^`\n]+)`", r"\1", line)
        line = re.sub(r"\[([^\]\n]+)\]\(([^)\n]+)\)", r"\1 \2", line)
        line = re.sub(r"^\s*>\s?", "", line)
        lines.append(line)
    return "\n".join(lines)
