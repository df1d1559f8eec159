"""Put back what every candidate dropped: the brief's own words stating its missing specifics.

Why a deterministic repair: a 135M model drops facts however many candidates it samples, and a
flash-sale post without its discount is no use. Sampling more (bot.drafts) is tried first; when no
candidate keeps everything, the one that keeps the most gets the brief's own clause back (after its
opening line, so a platform limit cuts the model's later sentences, not the fact). Quoting the
brief cannot invent or contradict anything, and it works the same on any model: on Llama 3.2 3B
it simply runs less often.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.quality.specifics import FactCheck, Specific, extract

# A line break ends a clause too: a link's brief is a title line, "Key points:" and bullets, and the
# repair must quote a point, not the header beside it.
CLAUSE = re.compile(r"\s*(?:[;:]|\n|,(?!\d{3})|\s[-–—]\s|(?<=[.!?])\s)\s*")
BULLET = re.compile(r"^\s*[-•*]\s+")
TASK = re.compile(
    r"^(?:pls\s+|please\s+)?(?:(?:write|create|make|draft)\s+(?:a\s+)?(?:post|tweet|caption)\s+"
    r"(?:about|for|on)\s+|(?:post|promo|tweet|caption)\s+(?:about|for|on)\s+|announce\s+|promote\s+)",
    re.I,
)
SENTENCE = re.compile(r"(?<=[.!?…])\s+")
INLINE_SENTENCE = re.compile(r"(?<=[.!?…])[ \t]+")
SHORT_BRIEF = 120  # a one-line brief comes back whole: its clauses alone ("$150k") do not read


def _sentence(words: str) -> str:
    words = TASK.sub("", words.strip()).strip(" ,;:-–—")
    words = re.sub(r"\s+(?:pls|please)$", "", words, flags=re.I)
    if not words:
        return ""
    words = words[0].upper() + words[1:]
    return words if re.search(r"[.!?…]$", words) else words + "."


def _joined(clauses: Sequence[str]) -> str:
    """Clauses back into one text: after a clause that ends a sentence a space ("March 14. The new
    model"), else a comma ("$149, ships Friday")."""
    text = ""
    for clause in (c.strip() for c in clauses):
        if not text:
            text = clause
        elif re.search(r"[.!?…]$", text):
            text = f"{text} {clause[0].upper()}{clause[1:]}"
        else:
            text = f"{text}, {clause}"
    return text


def restoring_sentence(fields: Sequence[str], missing: Sequence[Specific]) -> str:
    """The brief's words that state `missing`: a short field whole, else the clauses that hold them."""
    out: list[str] = []
    for field in fields:
        stated = [m for m in missing if any((s.kind, s.value) == (m.kind, m.value) for s in extract(field))]
        if not stated:
            continue
        if len(field) <= SHORT_BRIEF:
            out.append(_sentence(field))
            continue
        clauses = [BULLET.sub("", c) for c in CLAUSE.split(field) if c.strip()]
        chosen = [c for c in clauses if any(m.text in c for m in stated)]
        out.append(_sentence(_joined(list(dict.fromkeys(chosen)))))
        missing = [m for m in missing if m not in stated]
    return " ".join(s for s in dict.fromkeys(out) if s)


def restore(text: str, fields: Sequence[str], facts: FactCheck) -> str | None:
    """`text` with what it contradicted or invented removed and the brief's missing specifics put back
    after its opening sentence; None when there is nothing to restore."""
    wrong = [said for _, said in facts.contradicted] + list(facts.invented_names)
    lost = list(facts.missing) + [s for s, _ in facts.contradicted if s not in facts.missing]
    addition = restoring_sentence(fields, lost)
    if not addition and not wrong:
        return None
    body, tags = _split_tags(text)
    lines = body.split("\n")
    cleaned: list[str] = []
    for line in lines:
        kept = [s for s in SENTENCE.split(line) if not any(w.lower() in s.lower() for w in wrong)]
        cleaned.append(" ".join(kept))
    body = "\n".join(cleaned).strip()
    if addition:
        head, newline, rest = body.partition("\n")
        sentences = INLINE_SENTENCE.split(head, maxsplit=1)
        if len(sentences) == 2:  # after the opening sentence, in its paragraph
            body = f"{sentences[0]} {addition} {sentences[1]}{newline}{rest}"
        elif newline:  # the opening line is one sentence (a hook): the fact follows on its own line
            body = f"{head}\n{addition}\n{rest}"
        else:
            body = f"{body} {addition}".strip()
    return f"{body}\n\n{tags}" if tags else body


def _split_tags(text: str) -> tuple[str, str]:
    match = re.search(r"(?:\s*#\w+)+\s*$", text)
    if not match:
        return text.rstrip(), ""
    return text[: match.start()].rstrip(), match.group(0).strip()
