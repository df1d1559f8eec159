"""Number words to digits, keeping a map back to the original text.

Why text2num (`text_to_num`): it parses the whole English number grammar ("forty-eight", "one
hundred and twenty", "a dozen" aside) and is maintained; what it lacks is a way back from its output to
the words the writer typed, which `Digitised.span` adds so a specific can quote the brief verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import text2num

_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    "|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    "|hundred|thousand|million|billion"
)
_BASE = _WORDS.split("|hundred")[0]  # a phrase starts with a digit word: "$2 million" stays as it is
NUMBER_WORDS = re.compile(rf"\b(?:{_BASE})(?:(?:[\s-]+|\s+and\s+)(?:{_WORDS}))*\b", re.I)


@dataclass(frozen=True)
class Piece:
    norm_start: int
    norm_end: int
    orig_start: int
    orig_end: int
    converted: bool


@dataclass(frozen=True)
class Digitised:
    """`text` with every number phrase in digits; `pieces` map each stretch back to the original."""

    original: str
    text: str
    pieces: tuple[Piece, ...]

    def _orig(self, pos: int, end: bool) -> int:
        for p in self.pieces:
            if p.norm_start <= pos < p.norm_end or (end and pos == p.norm_end):
                if p.converted:
                    return p.orig_end if end else p.orig_start
                return p.orig_start + (pos - p.norm_start)
        return len(self.original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span for a span of the digitised text."""
        return self._orig(start, False), self._orig(end, True)

    def from_words(self, start: int, end: int) -> bool:
        """Whether any part of the span was written as words."""
        return any(p.converted and p.norm_start < end and start < p.norm_end for p in self.pieces)


def digitise(text: str) -> Digitised:
    """`text` with its number words in digits ("Four days" -> "4 days", "forty-eight" -> "48")."""
    pieces: list[Piece] = []
    out: list[str] = []
    pos = norm = 0
    for match in NUMBER_WORDS.finditer(text):
        phrase = re.sub(r"[\s-]+", " ", match.group(0).lower()).strip()
        try:
            value = str(text2num(phrase, "en"))
        except ValueError:
            continue
        if match.start() > pos:
            chunk = text[pos : match.start()]
            pieces.append(Piece(norm, norm + len(chunk), pos, match.start(), False))
            out.append(chunk)
            norm += len(chunk)
        pieces.append(Piece(norm, norm + len(value), match.start(), match.end(), True))
        out.append(value)
        norm += len(value)
        pos = match.end()
    if pos < len(text):
        pieces.append(Piece(norm, norm + len(text) - pos, pos, len(text), False))
        out.append(text[pos:])
    return Digitised(text, "".join(out), tuple(pieces))
