"""Names and places in a text, and the ones a draft names that nobody gave it.

Why capitalisation and a word list rather than an NER model: a 135M model's invented names ("Tokyo",
"Blue Ridge Roasters") are capitalised mid-sentence or not English words at all, a check that costs
microseconds per candidate; a tagger would add a model load to every draft. pyspellchecker's
English frequency list tells a name ("Tokyo", 310 uses) from a word set in title case ("Summer
Collection", 69,566). What that misses, lowercase inventions ("skim milk" in an oat-milk post,
"blockchain infrastructure" in a hiring post), shows as a different, rare modifier on a noun the
brief itself uses: `swapped_modifiers`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spellchecker import SpellChecker

CAPITALISED = r"(?:[A-Z][a-z]+(?:['’]s)?|[A-Z]{2,}|[A-Z][a-z]+[A-Z][A-Za-z]+)"
NAME_RUN = re.compile(rf"(?<![#@\w'’]){CAPITALISED}(?:(?:\s|&|\s&\s|\s(?:of|de|la|the)\s)?{CAPITALISED})*")
PLACE = re.compile(rf"\b(?:in|at|near|across|around|visit|visiting|downtown|to)\s+(?P<p>{NAME_RUN.pattern})")
QUOTED = re.compile(r"[\"“]([A-Z][^\"”\n]{1,40})[\"”]")
# Title-case words too common to be a name (lowercase frequency in pyspellchecker's English list).
COMMON = 20_000
# A sentence's first word is a name only when the word list lacks it ("Glowly", "Instagram"): openers
# the list knows are rare too ("Revamp" 237, "Psst" 50, "Tokyo" 310), so rarity cannot tell them apart.
RARE = 1
# fmt: off
NEVER = frozenset((
    "i", "we", "our", "us", "you", "your", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "am", "pm", "ok", "dm", "faq", "diy", "ceo", "ai",
    "vip", "rsvp", "asap", "usd", "eur", "gbp", "tbt", "ps", "ad", "new", "pro", "faqs",
))
# fmt: on
SENTENCE_START = re.compile(r"(?:^|[.!?…:;\n•\-–—\"“(]|[\U0001F300-\U0001FAFF\u2600-\u27BF])\s*$")


@lru_cache(maxsize=1)
def _dictionary() -> SpellChecker:
    return SpellChecker(language="en")


def frequency(word: str) -> int:
    return int(_dictionary().word_frequency[word.lower()])


def _possessive(text: str) -> str:
    return re.sub(r"['’]s$", "", text)


def _never(word: str) -> bool:
    """Pronouns, calendar words, everyday acronyms: capitalised, never a name ("Tuesdays" too)."""
    low = word.lower()
    return low in NEVER or (low.endswith("s") and low[:-1] in NEVER)


def _is_name(run: str, sentence_start: bool, titled: bool = False) -> bool:
    """`titled`: a run of two or more capitalised words mid-sentence is a name even when each is an
    everyday word ("Blue Bottle", "Summer Collection"): a brief's product names look like that."""
    words = [_possessive(w) for w in re.findall(r"[A-Za-z'’]+", run)]
    content = [w for w in words if w.lower() not in ("of", "de", "la", "the")]
    if not content or all(_never(w) for w in content):
        return False
    if any(re.fullmatch(r"[A-Z][a-z]+[A-Z][A-Za-z]+", w) for w in content):  # CamelCase brand
        return True
    if any(w.isupper() and len(w) >= 2 and frequency(w) == 0 for w in content):  # SPF, NYC
        return True
    if titled and not sentence_start and len(content) >= 2:
        return True
    limit = RARE if sentence_start else COMMON
    return any(frequency(w) < limit and not _never(w) and not w.isupper() for w in content)


def _runs(text: str) -> list[tuple[str, bool]]:
    """Capitalised word runs and whether each opens a sentence."""
    out: list[tuple[str, bool]] = []
    for m in NAME_RUN.finditer(text):
        start = bool(SENTENCE_START.search(text[: m.start()]))
        run = m.group(0).strip()
        if start and " " in run:  # "Join Blue Bottle": the opener is a verb, the rest a name
            first, rest = run.split(" ", 1)
            if frequency(_possessive(first)) >= RARE:
                out.append((rest.strip(" &"), False))
                continue
        out.append((run, start))
    return out


def names(text: str) -> list[str]:
    """Quoted product names and capitalised names in `text`, in order."""
    found = [m.group(1).strip() for m in QUOTED.finditer(text)]
    unquoted = QUOTED.sub(lambda m: " " * len(m.group(0)), text)
    found += [_possessive(run) for run, start in _runs(unquoted) if _is_name(run, start, titled=True)]
    return list(dict.fromkeys(found))


def places(text: str) -> list[str]:
    """Names after a preposition of place ("in Chicago", "at Blue Bottle")."""
    found: list[str] = []
    for m in PLACE.finditer(text):
        run = _possessive(m.group("p"))
        if _is_name(run, False, titled=True):
            found.append(run)
    return list(dict.fromkeys(found))


def _known_words(known: str) -> set[str]:
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’]*", known)}
    words |= {_possessive(w) for w in words}
    return words | {w + "s" for w in words} | {w[:-1] for w in words if w.endswith("s")}


ADJECTIVE = re.compile(r"(?:y|ful|ous|ive|al|ic|ing|ed|ish|less|able|ible|est|er|ly)$")
# fmt: off
STOP = frozenset((
    "the", "a", "an", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "our", "your",
    "their", "its", "this", "that", "these", "those", "my", "his", "her", "some", "any", "every", "all",
    "no", "more", "most", "less", "each", "such", "what", "which", "new", "best", "great",
))
# fmt: on
MODIFIER_RARE = 5_000


def swapped_modifiers(draft: str, known: str) -> list[str]:
    """ "skim milk" where the brief said "oat milk": a rare word nobody gave, put before a noun the
    brief uses. Rare (under 5,000 in the English list) and not adjective-shaped, so "creamy milk",
    "fresh milk" and "morning latte" are description, not a different product."""
    given = _known_words(known)
    heads = {w for w in given if len(w) >= 4}
    out: list[str] = []
    for m in re.finditer(r"\b([a-z]{3,})\s+(?=([a-z]{4,})\b)", draft):
        modifier, head = m.group(1), m.group(2)
        if head not in heads or modifier in given or modifier in STOP or ADJECTIVE.search(modifier):
            continue
        if frequency(modifier) < MODIFIER_RARE:
            out.append(f"{modifier} {head}")
    return out


def invented_names(draft: str, known: str) -> list[str]:
    """Names (and swapped product words) in `draft` that `known` never gave."""
    given = _known_words(known)
    body = re.sub(r"(?<!\w)[#@]\w+|\bhttps?://\S+|\b[\w.-]+\.(?:com|io|co|org|net)\b", " ", draft)
    out: list[str] = []
    for run, start in _runs(body):
        if not _is_name(run, start):
            continue
        words = [_possessive(w).lower() for w in re.findall(r"[A-Za-z'’]+", run)]
        unknown = [
            w for w in words if w not in given and not _never(w) and w not in ("of", "de", "la", "the")
        ]
        if unknown and any(frequency(w) < (RARE if start else COMMON) for w in unknown):
            out.append(_possessive(run))
    out += swapped_modifiers(body, known)
    return list(dict.fromkeys(out))
