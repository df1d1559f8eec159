"""The specifics a brief states (numbers with their units, number words, days, dates, times, places,
names) as data, and whether a draft keeps them, contradicts them, or invents names nobody gave.

Why by hand rather than dateparser: a brief's dates are a handful of surface forms ("Saturday",
"May 7", "1-4pm"), and dateparser resolves them against today's date ("Saturday" becomes a calendar
day that changes daily), which is not a value two texts can be compared by. Number words go through
text2num (bot.quality.numbers); names through bot.quality.names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.quality.names import invented_names, names, places
from bot.quality.numbers import Digitised, digitise

if TYPE_CHECKING:
    from bot.brief import Brief

SpecificKind = Literal[
    "percent", "price", "duration", "count", "number", "range", "time", "day", "date", "place", "name"
]
# Kinds where a second value of the same kind says something else (a 3-day sale is not a 48-hour one).
EXCLUSIVE: frozenset[str] = frozenset(("percent", "price", "duration", "time", "day", "date", "range"))


@dataclass(frozen=True)
class Specific:
    kind: SpecificKind
    text: str  # as the brief wrote it ("48-hour", "1-4pm", "Saturday", "Chicago", "40%")
    value: str  # normalised, comparable ("48 hour", "13:00-16:00", "saturday", "chicago", "40%")


UNITS = {
    "minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440, "night": 1440, "week": 10080,
    "month": 43200, "year": 525600, "yr": 525600,
}  # fmt: skip
_UNIT = r"(?P<unit>minute|min|hour|hr|day|night|week|month|year|yr)s?\b(?:['’]s?)?"
_NUM = r"\d[\d,]*(?:\.\d+)?"
_MER = r"(?:am|pm|a\.m\.|p\.m\.)"
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "pounds" is left out: in copy it weighs a laptop more often than it prices one
CURRENCY = {"$": "$", "€": "€", "£": "£", "dollar": "$", "buck": "$", "usd": "$", "euro": "€"}

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("time_range", re.compile(
        rf"\b(?P<a>\d{{1,2}})(?::(?P<am>\d{{2}}))?\s?(?P<ma>{_MER})?\s?(?:-|–|—|to|until|till)\s?"
        rf"(?P<b>\d{{1,2}})(?::(?P<bm>\d{{2}}))?\s?(?P<mb>{_MER})", re.I)),
    ("percent_range", re.compile(
        rf"\b(?P<a>{_NUM})\s?%?\s?(?:-|–|to)\s?(?P<b>{_NUM})\s?(?:%|percent\b|per cent\b)", re.I)),
    ("price_range", re.compile(
        rf"(?P<cur>[$€£])\s?(?P<a>{_NUM})\s?(?:-|–|to)\s?[$€£]?\s?(?P<b>{_NUM})(?![\d%])", re.I)),
    ("duration_range", re.compile(rf"\b(?P<a>\d+)\s?(?:-|–|to)\s?(?P<b>\d+)[\s-]?{_UNIT}", re.I)),
    ("duration_pair", re.compile(
        rf"\b(?P<first>(?P<a>{_NUM})[\s-]?{_UNIT})\s+(?:down |up )?to\s+(?:just |only )?(?P<b>{_NUM})\b"
        rf"(?![\s-]*(?:%|percent|{_MER}|:|\w))",
        re.I)),
    ("number_range", re.compile(r"(?<![\w/.$€£])(?P<a>\d+)\s?[-–]\s?(?P<b>\d+)(?![\w/%.-])")),
    ("percent", re.compile(rf"\b(?P<a>{_NUM})\s?(?:%|percent\b|per cent\b)", re.I)),
    ("price", re.compile(
        rf"(?P<cur>[$€£])\s?(?P<a>{_NUM})(?:\s?(?P<mult>k|m|bn|million|billion|thousand)\b)?"
        rf"|\b(?P<a2>{_NUM})\s?(?P<cur2>dollar|buck|usd|euro)s?\b", re.I)),
    ("duration", re.compile(rf"\b(?P<a>{_NUM})[\s-]?{_UNIT}", re.I)),
    ("time", re.compile(
        rf"\b(?P<a>\d{{1,2}})(?::(?P<am>\d{{2}}))?\s?(?P<ma>{_MER})|\b(?P<a2>\d{{1,2}}):(?P<am2>\d{{2}})\b"
        r"|\b(?P<word>(?-i:noon|midnight))\b", re.I)),
    ("date", re.compile(
        rf"\b(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b"
        rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\b"
        r"|\b(?P<n1>\d{1,2})/(?P<n2>\d{1,2})(?:/\d{2,4})?\b"
        r"|\b(?P<year>(?:19|20)\d{2})\b"
        r"|\b(?P<m3>January|February|March|April|June|July|August|September|October|November|December)\b")),
    ("day", re.compile(
        r"\b(?P<wd>(?:mon|tues|wednes|thurs|fri|satur|sun)day)s?\b|\b(?P<we>weekend|tonight|today|tomorrow)\b",
        re.I)),
    ("count", re.compile(
        rf"\b(?P<a>{_NUM})\+?\s+(?:(?:new|more|free|extra|different|exclusive)\s+)?"
        r"(?P<noun>[a-z]{3,})\b")),
    ("number", re.compile(rf"(?<![\w#@/.])(?P<a>{_NUM})(?![\w/])")),
]  # fmt: skip
HARMLESS = re.compile(r"\b24/7\b|\b365\b|\b1:1\b|\b360\b")
# Words after a number that make it no count ("3 of", "2 in 1").
NOT_NOUNS = frozenset((
    "and", "or", "the", "for", "with", "from", "into", "per", "off", "out", "are", "was", "were", "will",
    "has", "have", "more", "than", "that", "this", "its", "our", "your", "their", "all", "any", "can",
    *UNITS, *(u + "s" for u in UNITS), *MONTHS, "percent", "dollars", "bucks", "euros", "pounds", "am", "pm",
))  # fmt: skip


def _num(text: str) -> str:
    """A number's canonical digits: no thousands separators, no trailing ".0"."""
    value = text.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value or "0"


def _clock(hour: str, minute: str | None, meridiem: str | None) -> str:
    h, m = int(hour), int(minute or 0)
    mer = (meridiem or "").lower().replace(".", "")
    if mer == "pm" and h < 12:
        h += 12
    if mer == "am" and h == 12:
        h = 0
    return f"{h:02d}:{m:02d}"


def _month(name: str) -> str:
    return next(m for m in MONTHS if m.startswith(name.lower()[:3]))


def _stem(word: str) -> str:
    word = word.lower()
    if re.search(r"(?:ch|sh|x|ss)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def _values(kind: str, m: re.Match[str]) -> list[tuple[SpecificKind, str, tuple[int, int]]]:
    """(kind, value, span in the digitised text) for one match; some matches state two specifics."""
    g = m.groupdict()
    span = m.span()
    if kind == "time_range":
        mb = g["mb"]
        ma = g["ma"] or mb
        start, end = _clock(g["a"], g["am"], ma), _clock(g["b"], g["bm"], mb)
        if not g["ma"] and start > end:  # "11-2pm": the start is in the morning
            start = _clock(g["a"], g["am"], "am")
        return [("range", f"{start}-{end}", span)]
    if kind == "percent_range":
        return [("range", f"{_num(g['a'])}%-{_num(g['b'])}%", span)]
    if kind == "price_range":
        return [("range", f"{g['cur']}{_num(g['a'])}-{g['cur']}{_num(g['b'])}", span)]
    if kind == "number_range":
        return [("range", f"{g['a']}-{g['b']}", span)]
    if kind == "duration_range":
        return [("range", f"{g['a']}-{g['b']} {_unit(g['unit'])}", span)]
    if kind == "duration_pair":  # "from 10 days to 3": the second number shares the unit
        unit = _unit(g["unit"])
        return [
            ("duration", f"{_num(g['a'])} {unit}", m.span("first")),
            ("duration", f"{_num(g['b'])} {unit}", m.span("b")),
        ]
    if kind == "percent":
        return [("percent", f"{_num(g['a'])}%", span)]
    if kind == "price":
        cur = CURRENCY[(g["cur"] or g["cur2"] or "$").lower()]
        amount = _num(g["a"] or g["a2"])
        mult = {"k": "k", "thousand": "k", "m": "m", "million": "m", "bn": "bn", "billion": "bn"}
        suffix = mult.get((g.get("mult") or "").lower(), "")
        return [("price", f"{cur}{amount}{suffix}", span)]
    if kind == "duration":
        return [("duration", f"{_num(g['a'])} {_unit(g['unit'])}", span)]
    if kind == "time":
        if g["word"]:
            return [("time", "12:00" if g["word"].lower() == "noon" else "00:00", span)]
        if g["a2"]:
            return [("time", _clock(g["a2"], g["am2"], None), span)]
        return [("time", _clock(g["a"], g["am"], g["ma"]), span)]
    if kind == "date":
        if g["m1"] or g["m2"]:
            month, day = (g["m1"], g["d1"]) if g["m1"] else (g["m2"], g["d2"])
            return [("date", f"{_month(month)} {int(day)}", span)]
        if g["n1"]:
            return (
                [("date", f"{_month(MONTHS[int(g['n1']) - 1])} {int(g['n2'])}", span)]
                if 1 <= int(g["n1"]) <= 12
                else []
            )
        if g["year"]:
            return [("date", g["year"], span)]
        return [("date", _month(g["m3"]), span)]
    if kind == "day":
        return [("day", (g["wd"] or g["we"]).lower(), span)]
    if kind == "count":
        if g["noun"] in NOT_NOUNS:
            return []
        return [("count", f"{_num(g['a'])} {_stem(g['noun'])}", span)]
    return [("number", _num(g["a"]), span)]


def _unit(unit: str) -> str:
    unit = unit.lower()
    return {"min": "minute", "hr": "hour", "yr": "year"}.get(unit, unit)


def _numeric(d: Digitised) -> list[Specific]:
    taken: list[tuple[int, int]] = [m.span() for m in HARMLESS.finditer(d.text)]
    found: list[tuple[int, Specific]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(d.text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            values = _values(kind, match)
            if not values:
                continue
            taken.append((start, end))
            for k, value, (s, e) in values:
                o_start, o_end = d.span(s, e)
                text = d.original[o_start:o_end].strip(" .,;:!?'’")
                # a lone number word ("one of a kind", "zero-waste") is a figure of speech, not a fact
                if k in ("number", "count") and d.from_words(s, e) and value.split()[0] in ("0", "1"):
                    continue
                if k == "number" and d.from_words(s, e):
                    continue
                found.append((o_start, Specific(k, text, value)))
    return [s for _, s in sorted(found, key=lambda x: x[0])]


def extract(text: str) -> list[Specific]:
    """Every specific one text states, left to right, each once."""
    if not text:
        return []
    numeric = _numeric(digitise(text))
    named = [Specific("place", t, t.lower()) for t in places(text)]
    seen = {s.value for s in named}
    named += [Specific("name", t, t.lower()) for t in names(text) if t.lower() not in seen]
    out: list[Specific] = []
    for spec in numeric + named:
        if all((spec.kind, spec.value) != (o.kind, o.value) for o in out):
            out.append(spec)
    return out


def brief_fields(brief: Brief) -> list[str]:
    """The brief's own words: what it states and what a draft may repeat."""
    return [t for t in (brief.prompt, brief.brand_voice, brief.audience, brief.call_to_action) if t]


def brief_specifics(brief: Brief) -> list[Specific]:
    """Everything a Brief states (brief, voice, audience, call to action), each value once."""
    out: list[Specific] = []
    for text in brief_fields(brief):
        for spec in extract(text):
            if all((spec.kind, spec.value) != (o.kind, o.value) for o in out):
                out.append(spec)
    return out


@dataclass(frozen=True)
class FactCheck:
    kept: tuple[Specific, ...]
    missing: tuple[Specific, ...]
    contradicted: tuple[tuple[Specific, str], ...]  # (the brief's specific, what the draft said instead)
    invented_names: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Keeps every specific, contradicts none, invents no name."""
        return not self.missing and not self.contradicted and not self.invented_names

    @property
    def kept_share(self) -> float:
        total = len(self.kept) + len(self.missing)
        return len(self.kept) / total if total else 1.0


def _minutes(value: str) -> float | None:
    amount, _, unit = value.partition(" ")
    try:
        return float(amount) * UNITS[unit]
    except (KeyError, ValueError):
        return None


def _same(kind: str, brief_value: str, draft_value: str) -> bool:
    if brief_value == draft_value:
        return True
    if kind == "duration":  # "48-hour" = "2 days"
        a, b = _minutes(brief_value), _minutes(draft_value)
        return a is not None and a == b
    return False


def _mentions(draft: str, phrase: str) -> bool:
    """A name or place is kept when the draft writes it (any case), or runs it into a hashtag."""
    words = re.findall(r"[\w'’&]+", phrase.lower())
    if not words:
        return True
    pattern = r"\b" + r"[\s-]+".join(re.escape(w) for w in words) + r"\b"
    joined = "".join(words)
    tags = " ".join(re.findall(r"#(\w+)", draft.lower()))
    return bool(re.search(pattern, draft.lower())) or joined in tags


def _kept(spec: Specific, stated: Sequence[Specific], numbers: set[str], draft: str) -> bool:
    if spec.kind in ("place", "name"):
        return _mentions(draft, spec.text)
    if any(s.kind == spec.kind and _same(spec.kind, spec.value, s.value) for s in stated):
        return True
    if spec.kind in ("number", "count"):
        return spec.value.split()[0] in numbers
    if spec.kind == "range":  # "1-4pm" kept by "1pm to 4pm", "from 1 until 4pm"
        ends = re.split(r"-(?=[\d$€£])", spec.value, maxsplit=1)
        values = {s.value for s in stated} | {v for s in stated for v in s.value.split("-")}
        unit = spec.value.rsplit(" ", 1)[1] if " " in spec.value else ""
        return all(e in values or f"{e} {unit}".strip() in values or e in numbers for e in ends)
    if spec.kind == "time":
        return any(spec.value in s.value for s in stated if s.kind == "range")
    return False


def _compatible(a: str, b: str) -> bool:
    """Day words that do not contradict each other: the weekend and its days, today and tonight."""
    weekend = {"weekend", "saturday", "sunday"}
    today = {"today", "tonight"}
    return (
        ("weekend" in (a, b) and {a, b} <= weekend)
        or {a, b} <= today
        or "tomorrow" in (a, b)
        or (("today" in (a, b) or "tonight" in (a, b)) and bool({a, b} & set(WEEKDAYS)))
    )


def check(draft: str, specifics: Sequence[Specific], known: str) -> FactCheck:
    """What `draft` does with the brief's `specifics`; `known` is every text that may name things
    (brief, voice, audience, call to action, industry terminology, catalogue)."""
    stated = extract(draft)
    numbers = {s.value.split()[0] for s in stated if s.kind in ("number", "count")}
    numbers |= {_num(n) for n in re.findall(_NUM, digitise(draft).text)}
    kept = [s for s in specifics if _kept(s, stated, numbers, draft)]
    missing = [s for s in specifics if s not in kept]
    contradicted: list[tuple[Specific, str]] = []
    for kind in EXCLUSIVE:
        given = [s for s in specifics if s.kind == kind]
        if not given:
            continue
        others = [
            s for s in stated
            if s.kind == kind and not any(_same(kind, g.value, s.value) for g in given)
            and not (kind == "day" and any(_compatible(g.value, s.value) for g in given))
            and not (kind == "time" and any(s.value in r.value for r in specifics if r.kind == "range"))
        ]  # fmt: skip
        if not others:
            continue
        losers = [g for g in given if g in missing] or given[:1]
        contradicted += [(g, others[0].text) for g in losers]
    return FactCheck(
        kept=tuple(kept),
        missing=tuple(missing),
        contradicted=tuple(contradicted),
        invented_names=tuple(invented_names(draft, known)),
    )


def known_text(brief: Brief, extra: Iterable[str] = ()) -> str:
    """Everything that may name things for `brief`: its fields plus `extra` (terminology, catalogue)."""
    return "\n".join([*brief_fields(brief), *extra])
