"""Turn raw model text into a publishable draft that respects the platform's rules.

Guarantees: never over the platform's character limit; hashtags normalised to the platform norm
(kept whole or dropped whole); a hashtag line holds only `#word` tags and never an instruction word
(#Create, #Introduce…); chat-template debris, preambles and degenerate repetition removed; specifics
that the brief never gave removed (bot.quality.factguard); and no cut fragment ("It'", "…and the")
ever ends a draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalog import Catalog, Platform
from bot.quality import hashtags as tag_rule
from bot.quality.factguard import Guarded, guard
from bot.voice import speak_as_we

HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*)")
SPECIAL_TOKEN = re.compile(r"<\|[^|>]{1,40}\|>|</?s>")
ROLE_LINE = re.compile(r"^\s*(assistant|system|user)\s*:?\s*$", re.IGNORECASE)
PREAMBLE = re.compile(
    r"^\s*(sure|certainly|of course|absolutely|here(?:'s| is| are)|okay|ok)\b[^\n]{0,120}[:!]\s*\n",
    re.IGNORECASE,
)
EMOJI = r"[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2705\uFE0F]"
# A sentence ends at . ! ? … (optionally closed by a quote or bracket) or an emoji; a bare trailing
# apostrophe is a cut contraction ("It'", "we'"), not a closing quote.
SENTENCE_END = re.compile(rf"[.!?…]+[\"'”’)\]]*|{EMOJI}+")
# Words that cannot end a sentence: a draft ending in one was cut mid-thought.
# fmt: off
DANGLING = frozenset((
    "a", "an", "the", "and", "or", "but", "so", "of", "for", "to", "at", "with",
    "from", "into", "our", "your", "their", "its", "my", "this", "that", "these", "those", "is", "are",
    "was", "were", "be", "will", "can", "could", "would", "should", "we", "they", "as", "than", "then",
    "if", "when", "while", "because", "which", "who", "whose", "where", "plus", "also", "very", "more",
    "most", "just",
))
# fmt: on
# Verbs of the brief's instructions: never a hashtag (#Create, #Introduce, #Explain…).
# fmt: off
INSTRUCTION_WORDS = frozenset((
    "create", "introduce", "explain", "remind", "announce", "write", "share", "highlight", "promote",
    "describe", "generate", "post", "caption", "tweet", "mention", "include", "use", "add", "make",
    "showcase", "emphasize", "emphasise", "encourage", "invite", "tell", "list", "focus", "draft",
    "compose", "craft", "inform", "discuss", "outline", "summarize", "summarise",
))
# fmt: on


@dataclass(frozen=True)
class Post:
    text: str
    word_count: int
    character_count: int
    hashtags: list[str]
    truncated: bool
    removed: tuple[str, ...] = ()  # invented specifics the fact guard took out
    repaired: bool = False  # the ending had to be closed by hand (no complete sentence to cut back to)
    rejected: bool = False  # the fact guard had to remove most of it: any other candidate is better
    score: dict[str, Any] | None = None  # best-of-n breakdown (bot.quality.scoring), when scored


def strip_debris(text: str) -> str:
    text = SPECIAL_TOKEN.split(text, maxsplit=1)[0] if "<|im_start|>" in text else text
    text = SPECIAL_TOKEN.sub("", text)
    lines = [ln for ln in text.splitlines() if not ROLE_LINE.match(ln)]
    text = "\n".join(lines).strip()
    text = PREAMBLE.sub("", text, count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“":
        text = text[1:-1].strip()
    if text.startswith("“") and text.endswith("”"):
        text = text[1:-1].strip()
    return text


def collapse_repetition(text: str) -> str:
    """Drop repeated lines and sentences (small models loop); keep the first occurrence."""
    seen: set[str] = set()
    out_lines: list[str] = []
    for line in text.split("\n"):
        sentences = re.split(r"(?<=[.!?])\s+", line)
        kept = []
        for sentence in sentences:
            key = re.sub(r"\W+", " ", sentence).strip().lower()
            if key and len(key) > 8 and key in seen:
                continue
            if key:
                seen.add(key)
            kept.append(sentence)
        joined = " ".join(kept).rstrip()
        if joined or (out_lines and out_lines[-1]):
            out_lines.append(joined)
    text = "\n".join(out_lines).strip()
    # a short phrase looping within a line ("so good so good so good ...")
    return re.sub(r"(\b.{3,40}?\b)(?:\s*\1){2,}", r"\1", text)


def ends_complete(text: str) -> bool:
    """Does the body (before any closing hashtag block) end a sentence?"""
    body, _ = split_trailing_hashtags(text)
    body = body.rstrip()
    if not body:
        return False
    last = list(SENTENCE_END.finditer(body))
    return bool(last) and last[-1].end() == len(body) and not re.search(r"\w['’]$", body)


def _last_word(text: str) -> str:
    words = re.findall(r"[A-Za-z']+", text[-40:])
    return words[-1].lower() if words else ""


def close_ending(text: str, ran_out_of_tokens: bool = False) -> tuple[str, bool]:
    """Make sure no cut fragment ends the draft; returns (text, repaired).

    A draft that stopped by itself but lacks a final full stop ("Come say hi") gets one. A cut one
    ("…and the best part is that", "It'") goes back to its last complete sentence; where that would
    gut it (under a quarter left), the fragment's dangling words go and a full stop closes it.
    """
    body, tags = split_trailing_hashtags(text)
    body = body.rstrip(" \t\n,;:-–—")
    if not body or ends_complete(body):
        return join_tags(body, tags), False
    contraction = re.search(r"\w['’]$", body) is not None
    body = re.sub(r"\s*\b\w+['’]$", "", body)  # a contraction cut after its apostrophe ("It'")
    cut = ran_out_of_tokens or contraction or _last_word(body) in DANGLING
    if not cut:
        return join_tags(body + ".", tags), False
    ends = [m.end() for m in SENTENCE_END.finditer(body) if not re.match(r"\w", body[m.end() : m.end() + 1])]
    if ends and ends[-1] >= len(body) * 0.25:
        return join_tags(body[: ends[-1]].rstrip(), tags), False
    words = body.split()
    while words and words[-1].lower().strip(",;:-'’") in DANGLING:
        words.pop()
    repaired = " ".join(words).rstrip(" ,;:-–—'’")
    return join_tags(repaired + "." if repaired else "", tags), True


def settle_ending(text: str) -> tuple[str, bool]:
    """Closing (the model's ending, or the limit's cut) can make the last line a hashtag line:
    "#Coffee 😀" cut back from "#Coffee 😀 coffee", "' #Coffee." closed from "' #Coffee :". That line
    then joins the tags and the sentence before it is closed instead."""
    cleaned = clean_hashtag_lines(text)
    if cleaned == text or ends_complete(cleaned):
        return cleaned, False
    return close_ending(cleaned, ran_out_of_tokens=True)


def _is_instruction_tag(tag: str) -> bool:
    first = re.match(r"#?([A-Z]?[a-z]+|[A-Z]+(?![a-z]))", tag)
    return bool(first) and first.group(1).lower() in INSTRUCTION_WORDS  # type: ignore[union-attr]


def _label_line(line: str) -> bool:
    """A line of capitalised labels and handles without sentence punctuation: a tag line missing '#'s
    ("EcoFriendly Sustainability @Scionbooths", "Coffee & Drink")."""
    tokens = line.split()
    if not tokens or re.search(r"[.!?,:;]", line):
        return False
    return all(re.fullmatch(r"[#@]?[A-Z][\w'’]*|&|[|/·•-]", t) for t in tokens)


def clean_hashtag_line(line: str) -> str:
    """A hashtag line (no sentence; half tags, or tags plus labels) keeps only its `#word` tags;
    instruction-word tags go from every line."""
    tokens = line.split()
    tags = [t for t in tokens if HASHTAG.fullmatch(t.rstrip(".,;:!"))]
    words = " ".join(t for t in tokens if t not in tags)
    labels = not words or _label_line(words)
    if tags and not re.search(r"[.!?…]", words) and (len(tags) * 2 >= len(tokens) or labels):
        return " ".join(t.rstrip(".,;:!") for t in tags if not _is_instruction_tag(t))
    return HASHTAG.sub(lambda m: "" if _is_instruction_tag(m.group(0)) else m.group(0), line)


def clean_hashtag_lines(text: str) -> str:
    """Every line cleaned as above, and label lines trailing the draft gone."""
    out = [clean_hashtag_line(line) for line in text.split("\n")]
    while out and (not out[-1].strip() or (_label_line(out[-1]) and "#" not in out[-1])):
        if not out[-1].strip():
            out.pop()
            continue
        # only a label line that follows a tag line or a blank line is debris, not a closing sentence
        previous = next((ln for ln in reversed(out[:-1]) if ln.strip()), "")
        if previous.lstrip().startswith("#") or (
            len(out[-1].split()) >= 2 and any(re.search(r"[a-z][A-Z]|^@", t) for t in out[-1].split())
        ):
            out.pop()
            continue
        break
    return re.sub(r"[ \t]{2,}", " ", "\n".join(out)).strip()


def split_trailing_hashtags(text: str) -> tuple[str, list[str]]:
    """Separate a closing block made only of hashtags from the body."""
    match = re.search(r"(?:\s*#\w+)+\s*$", text)
    if not match or not HASHTAG.search(match.group(0)):
        return text, []
    return text[: match.start()].rstrip(), ["#" + t for t in HASHTAG.findall(match.group(0))]


def join_tags(body: str, tags: list[str]) -> str:
    if not tags:
        return body
    return f"{body}\n\n{' '.join(tags)}" if body else " ".join(tags)


def _camel(words: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", words) if part)


def normalise_hashtags(
    text: str,
    platform: Platform,
    enabled: bool,
    candidates: list[str],
    preferred: Sequence[str] = (),
) -> tuple[str, list[str]]:
    """Fit the platform's hashtag norm: drop extras whole (trailing block first), add missing ones,
    `preferred` (the brand kit's tags) before `candidates`."""
    candidates = [*(p.lstrip("#") for p in preferred), *candidates]
    body, trailing = split_trailing_hashtags(text)
    inline = ["#" + t for t in HASHTAG.findall(body)]
    low, high = (platform.hashtags.min, platform.hashtags.max) if enabled else (0, 0)
    seen = {t.lower() for t in inline}
    tags: list[str] = []
    for tag in trailing:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    room = max(0, high - len(inline))
    tags = tags[:room]
    if len(inline) > high:  # too many inline tags: the last ones go
        extra = len(inline) - high
        body = _strip_last_inline(body, extra)
        inline = inline[:high]
    for candidate in candidates:
        if len(inline) + len(tags) >= low:
            break
        tag = "#" + _camel(candidate)
        if len(tag) > 1 and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return join_tags(body, tags), inline + tags


def _strip_last_inline(body: str, count: int) -> str:
    """The last `count` inline tags lose their '#'; a hashtag line among them keeps only its tags,
    so a bare word never strays into it."""
    touched: set[int] = set()
    for m in reversed(list(HASHTAG.finditer(body))[-count:]):
        touched.add(body.count("\n", 0, m.start()))
        body = body[: m.start()] + m.group(1) + body[m.end() :]
    return "\n".join(clean_hashtag_line(ln) if i in touched else ln for i, ln in enumerate(body.split("\n")))


def fit_limit(text: str, limit: int) -> tuple[str, bool, bool]:
    """Never exceed `limit` characters: drop tags whole, then cut at a sentence, else word, boundary,
    and close the cut within the limit. Returns (text, truncated, repaired)."""
    if len(text) <= limit:
        return text, False, False
    body, tags = split_trailing_hashtags(text)
    while tags and len(join_tags(body, tags)) > limit and len(body) <= limit:
        tags.pop()
    if len(join_tags(body, tags)) <= limit:
        return join_tags(body, tags), True, False
    budget = limit - (len(join_tags("", tags)) + 2 if tags else 0)
    if budget < limit * 0.5:  # the body matters more than the tags
        tags, budget = [], limit
    window = body[:budget]
    ends = [m.end() for m in SENTENCE_END.finditer(window)]
    cut = ends[-1] if ends and ends[-1] >= budget * 0.5 else 0
    if not cut:  # a word boundary, else a hard cut that leaves room for the closing full stop
        space = window.rstrip().rfind(" ")
        cut = space if space > 0 else budget - 1
    closed, repaired = close_ending(join_tags(window[:cut].rstrip(" ,;:-–—"), tags), ran_out_of_tokens=True)
    return closed, True, repaired


# Brief words that describe the task, not the topic: never hashtags.
# fmt: off
STOPWORDS = frozenset((
    "about", "after", "again", "their", "there", "these", "those", "which", "while", "would",
    "could", "should", "with", "from", "into", "your", "our", "this", "that", "have", "will",
    "just", "more", "most", "very", "what", "when", "where", "write", "post", "posts", "launch",
    "create", "social", "media", "generate", "caption", "tweet", "announce", "share", "make",
))
# fmt: on


def topic_keywords(topic: str, limit: int = 4) -> list[str]:
    words = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z0-9]{4,}", topic)
        if w.lower() not in STOPWORDS and w.lower() not in INSTRUCTION_WORDS
    ]
    return list(dict.fromkeys(words))[:limit]


def drop_unfit_tags(text: str, vocabulary: frozenset[str]) -> str:
    """Tags outside the rule (bot.quality.hashtags) go: whole from a tag line; inside a sentence the
    word stays without its '#', unless it is unfit for a brand."""

    def one(match: re.Match[str]) -> str:
        problem = tag_rule.tag_problem(match.group(0), vocabulary)
        if problem is None:
            return match.group(0)
        return "" if problem.startswith("unfit") else match.group(1)

    lines = []
    for line in text.split("\n"):
        if line.lstrip().startswith("#") and not HEADING_LINE.match(line):
            kept = [t for t in line.split() if not HASHTAG.fullmatch(t) or tag_rule.fit(t, vocabulary)]
            lines.append(" ".join(kept))
        else:
            lines.append(re.sub(r"[ \t]{2,}", " ", HASHTAG.sub(one, line)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


HEADING_LINE = re.compile(r"^\s*#{2,}\s")


def count_words(text: str) -> int:
    return len(text.split())


def hashtag_lines_valid(text: str) -> bool:
    """Every hashtag line holds only #word tags, none an instruction word, no label debris after it."""
    return clean_hashtag_lines(text) == re.sub(r"[ \t]{2,}", " ", text).strip()


def finished(text: str, limit: int) -> bool:
    """A finished draft: within the platform's limit, clean tag lines, a complete last sentence, and
    a word outside its hashtags (a stray "#." or "..." is not a post)."""
    body = HASHTAG.sub("", text)
    return (
        len(text) <= limit
        and hashtag_lines_valid(text)
        and ends_complete(text)
        and re.search(r"[^\W\d_]{2,}", body) is not None
    )


def finalize(
    raw: str,
    platform_key: str,
    catalog: Catalog,
    *,
    hashtags: bool = True,
    industry: str | None = None,
    topic: str = "",
    ran_out_of_tokens: bool = False,
    sources: Sequence[str | None] | None = None,
    brand_voice: bool = False,
    preferred: Sequence[str] = (),
) -> Post:
    """`topic` (the brief's prompt) and the industry's terminology supply hashtags when too few.

    `sources` (the brief, voice, audience and call to action) switch the fact guard on: specifics
    none of them gave are removed. The raw chat route passes none: it has no brief to check against.
    `brand_voice` makes the draft speak as "we" (bot.voice) where the brief's voice is not a person's.
    """
    platform = catalog.platforms[platform_key]
    # What the model said, less debris, loops, invented specifics and (for a brand) the persona.
    text = tag_rule.strip_markup(collapse_repetition(strip_debris(raw)))
    terminology = catalog.industries[industry].terminology if industry else []
    names = [p.display_name for p in catalog.platforms.values()]  # "Instagram" is no invention
    known = "\n".join([*(s for s in sources or () if s), *terminology, *names])
    guarded = guard(text, sources, known) if sources is not None else Guarded(text, (), False)
    text = speak_as_we(guarded.text) if brand_voice else guarded.text
    # Its form: clean tag lines, then an ending, before the norm counts the tags the ending kept.
    vocabulary = tag_rule.vocabulary([topic, *(sources or ()), *terminology])
    text = drop_unfit_tags(clean_hashtag_lines(text), vocabulary)
    text, repaired = close_ending(text, ran_out_of_tokens)
    # The platform's rules: the hashtag norm, then the limit (which closes any cut it makes).
    candidates = [c for c in topic_keywords(topic) + terminology if tag_rule.fit("#" + _camel(c), vocabulary)]
    text, _ = normalise_hashtags(text, platform, hashtags, candidates, preferred)
    text, truncated, cut_repaired = fit_limit(text, platform.char_limit)
    text, settled = settle_ending(text)
    # One check of what a finished draft is; any other (no sentence left, say) is rejected, so
    # best-of-n ranks it last.
    rejected = guarded.rejected or not finished(text, platform.char_limit)
    kept = ["#" + t for t in HASHTAG.findall(text)]
    repaired = repaired or cut_repaired or settled
    return Post(text, count_words(text), len(text), kept, truncated, guarded.removed, repaired, rejected)
