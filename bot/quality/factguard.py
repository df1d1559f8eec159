"""Find the specifics a draft states (numbers, prices, dates, times, @handles, URLs, e-mails, phone
numbers) and remove the ones that neither the brief, the voice, the audience nor the call to action gave.

Why regular expressions rather than an NER model: the specifics that hurt a marketer ("$49m",
"Monday, May 7th", "@HealthierLiving") have a surface form; a tagger would add a model load and
still miss "$49m". Names without such a form (an invented brand, a person, a city) and restated
facts that contradict the brief ("Four days" for a 48-hour sale) come from bot.quality.specifics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.quality.specifics import Specific as BriefSpecific
from bot.quality.specifics import check, extract

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# Order matters: earlier kinds claim their span first, so "$49m" is a price, not a number.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "url",
        re.compile(
            r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|co|shop|store|app|ly)\b(?:/\S*)?", re.I
        ),
    ),
    ("handle", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,}")),
    ("phone", re.compile(r"(?<![\w$€£])\+?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b")),
    (
        "price",
        re.compile(
            r"[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:[kKmMbB]n?|million|billion|thousand)\b)?"
            r"|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|euros|pounds|bucks|usd|eur|gbp|cents)\b",
            re.I,
        ),
    ),
    ("percent", re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)", re.I)),
    (
        "date",
        re.compile(
            rf"\b(?:{_MONTH}\.?\s+{_DAY}(?:,?\s+\d{{4}})?|May\s+{_DAY}|{_DAY}\s+(?:of\s+)?(?:{_MONTH}|May)\b"
            rf"|(?:in|on|this|next|until|by|from)\s+(?:{_MONTH}|May)\b(?:\s+{_DAY}\b)?"
            r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:19|20)\d{2}\b|\d{1,2}(?:st|nd|rd|th)\b)"
        ),
    ),
    ("weekday", re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b", re.I)),
    ("time", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b", re.I)),
    ("number", re.compile(r"(?<![\w#])\d[\d,]*(?:\.\d+)?(?:[kKmMxX]\b)?")),
]
HARMLESS = re.compile(r"\b24/7\b|\b365\b|\b1:1\b|\b360\b")  # idioms, not facts
DIGITS = re.compile(r"\d+")
WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Specific:
    kind: str
    text: str
    start: int
    end: int


def find_specifics(text: str) -> list[Specific]:
    """Every specific in `text`, left to right, without overlaps."""
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in HARMLESS.finditer(text)]
    found: list[Specific] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(Specific(kind, match.group(0), start, end))
    return sorted(found, key=lambda s: s.start)


@dataclass(frozen=True)
class Allowed:
    """What the brief's own fields make it legitimate to state."""

    digits: frozenset[str]
    words: frozenset[str]
    tokens: frozenset[str]  # handles, urls, e-mails, lowercased
    # The numbers given as a percentage or an amount of money: "30" from "30%" does not make "30
    # cents" a fact the brief gave (a link's draft said exactly that).
    units: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def from_sources(cls, sources: Iterable[str | None]) -> Allowed:
        text = "\n".join(s for s in sources if s)
        lowered = text.lower()
        words = set(WORD.findall(lowered))
        words |= {w + "s" for w in words} | {w[:-1] for w in words if w.endswith("s")}
        found = find_specifics(text)
        tokens = {s.text.lower().rstrip(".,") for s in found if s.kind in ("handle", "url", "email")}
        digits = set(DIGITS.findall(text)) | set(DIGITS.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text)))
        units = {(s.kind, d) for s in found if s.kind in UNIT_KINDS for d in _digits(s.text)}
        return cls(frozenset(digits), frozenset(words), frozenset(tokens), frozenset(units))

    def permits(self, specific: Specific) -> bool:
        if specific.kind in ("handle", "url", "email"):
            return specific.text.lower().rstrip(".,") in self.tokens
        if specific.kind == "weekday":
            return specific.text.lower() in self.words
        digits = DIGITS.findall(specific.text.replace(",", ""))
        if not all(d in self.digits or d.lstrip("0") in self.digits for d in digits):
            return False
        if specific.kind in UNIT_KINDS and self._given_with_another_unit(specific):
            return False
        names = [w for w in WORD.findall(specific.text.lower()) if _is_calendar_word(w)]
        return all(_calendar_allowed(w, self.words) for w in names)


    def _given_with_another_unit(self, specific: Specific) -> bool:
        """A percentage or an amount whose number the sources gave only with the other unit."""
        mine = _digits(specific.text)
        given = {kind for kind, d in self.units if d in mine}
        return bool(given) and specific.kind not in given


def _digits(text: str) -> list[str]:
    """The whole numbers of a price or percentage as the brief would write them: "$1,299" -> 1299."""
    return DIGITS.findall(text.replace(",", "").split(".")[0])


UNIT_KINDS = ("price", "percent")


def _is_calendar_word(word: str) -> bool:
    return any(m.startswith(word) and len(word) >= 3 for m in MONTHS) or word in WEEKDAYS


def _calendar_allowed(word: str, allowed: frozenset[str]) -> bool:
    full = next((m for m in (*MONTHS, *WEEKDAYS) if m.startswith(word)), word)
    return word in allowed or full in allowed or any(full.startswith(a) and len(a) >= 3 for a in allowed)


def invented(text: str, sources: Iterable[str | None]) -> list[Specific]:
    """The specifics in `text` that none of `sources` (brief, voice, audience, CTA) gave."""
    allowed = Allowed.from_sources(sources)
    return [s for s in find_specifics(text) if not allowed.permits(s)]


@dataclass(frozen=True)
class Guarded:
    text: str
    removed: tuple[str, ...]
    rejected: bool  # so much had to go that the candidate should lose to any other


SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)])\s+")


def _sentences(line: str) -> list[str]:
    """Split at sentence punctuation followed by a space, so "clipmark.io" stays whole."""
    return [s for s in SENTENCE_BREAK.split(line) if s.strip()]


def _wrong(sentence: str, given: Sequence[BriefSpecific], known: str | None) -> list[str]:
    """What a sentence gets wrong beyond invented digits: a contradicted specific ("Four days" for a
    48-hour sale, number words included) or a name nobody gave ("Tokyo")."""
    if known is None:
        return []
    result = check(sentence, given, known)
    return [said for _, said in result.contradicted] + list(result.invented_names)


def guard(text: str, sources: Iterable[str | None], known: str | None = None) -> Guarded:
    """Drop each sentence that states an invented specific (a hashtag line loses just the token), and,
    given `known` (every text that may name things), each that contradicts the brief's specifics or
    names what nobody gave.

    Why the whole sentence: deleting only "$49m" from "Raised $49m last year." leaves a broken sentence.
    """
    sources = list(sources)
    allowed = Allowed.from_sources(sources)
    given = [spec for src in sources if src for spec in extract(src)] if known is not None else []
    removed: list[str] = []
    out_lines: list[str] = []
    for line in text.split("\n"):
        if not line.lstrip().startswith("#"):
            wrong = [w for sentence in _sentences(line) for w in _wrong(sentence, given, known)]
            if wrong:
                removed.extend(wrong)
                line = " ".join(s.strip() for s in _sentences(line) if not _wrong(s, given, known))
        bad = [s for s in find_specifics(line) if not allowed.permits(s)]
        if not bad:
            out_lines.append(line)
            continue
        removed.extend(s.text for s in bad)
        if line.lstrip().startswith("#"):  # a tag line: drop the offending tokens only
            kept = [t for t in line.split() if not any(b.text in t for b in bad)]
            out_lines.append(" ".join(kept))
            continue
        kept_sentences = [
            s for s in _sentences(line) if not any(not allowed.permits(x) for x in find_specifics(s))
        ]
        out_lines.append(" ".join(s.strip() for s in kept_sentences))
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(out_lines)).strip()
    before = len(re.sub(r"#\w+", "", text).strip())
    after = len(re.sub(r"#\w+", "", cleaned).strip())
    rejected = bool(removed) and (after == 0 or after < 0.5 * before)
    return Guarded(cleaned, tuple(removed), rejected)
