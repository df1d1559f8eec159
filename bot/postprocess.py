"""Turn raw model text into a publishable draft that respects the platform's rules.

Guarantees: never over the platform's character limit; hashtags normalised to the platform norm
(kept whole or dropped whole); chat-template debris, preambles, degenerate repetition and an
unfinished trailing fragment removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalog import Catalog, Platform

HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*)")
SPECIAL_TOKEN = re.compile(r"<\|[^|>]{1,40}\|>|</?s>")
ROLE_LINE = re.compile(r"^\s*(assistant|system|user)\s*:?\s*$", re.IGNORECASE)
PREAMBLE = re.compile(
    r"^\s*(sure|certainly|of course|absolutely|here(?:'s| is| are)|okay|ok)\b[^\n]{0,120}[:!]\s*\n",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"[.!?…)\"'”’\]]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


@dataclass(frozen=True)
class Post:
    text: str
    word_count: int
    character_count: int
    hashtags: list[str]
    truncated: bool


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


def drop_unfinished_tail(text: str) -> str:
    """Cut an unfinished last sentence when the model ran out of tokens mid-way."""
    body, tags = split_trailing_hashtags(text)
    stripped = body.rstrip()
    if not stripped or SENTENCE_END.match(stripped[-1]):
        return text
    last_end = max((m.end() for m in SENTENCE_END.finditer(stripped)), default=0)
    if last_end < len(stripped) * 0.4:  # keep a mostly-finished text rather than gutting it
        return text
    return join_tags(stripped[:last_end].rstrip(), tags)


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
    text: str, platform: Platform, enabled: bool, candidates: list[str]
) -> tuple[str, list[str]]:
    """Fit the platform's hashtag norm: drop extras whole (trailing block first), add missing ones."""
    body, trailing = split_trailing_hashtags(text)
    inline = ["#" + t for t in HASHTAG.findall(body)]
    low, high = (platform.hashtags.min, platform.hashtags.max) if enabled else (0, 0)
    if not enabled:
        body = HASHTAG.sub(lambda m: m.group(1), body)
        inline = []
    seen = {t.lower() for t in inline}
    tags: list[str] = []
    for tag in trailing:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    room = max(0, high - len(inline))
    tags = tags[:room]
    if len(inline) > high:  # too many inline tags: keep the words, drop the '#'
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
    matches = list(HASHTAG.finditer(body))[-count:]
    for m in reversed(matches):
        body = body[: m.start()] + m.group(1) + body[m.end() :]
    return body


def fit_limit(text: str, limit: int) -> tuple[str, bool]:
    """Never exceed `limit` characters: drop tags whole, then cut at a sentence, else word, boundary."""
    if len(text) <= limit:
        return text, False
    body, tags = split_trailing_hashtags(text)
    while tags and len(join_tags(body, tags)) > limit and len(body) <= limit:
        tags.pop()
    if len(join_tags(body, tags)) <= limit:
        return join_tags(body, tags), True
    budget = limit - (len(join_tags("", tags)) + 2 if tags else 0)
    if budget < limit * 0.5:  # the body matters more than the tags
        tags, budget = [], limit
    window = body[:budget]
    ends = [m.end() for m in SENTENCE_END.finditer(window)]
    cut = ends[-1] if ends and ends[-1] >= budget * 0.5 else 0
    if not cut:
        space = window.rstrip().rfind(" ")
        cut = space if space > 0 else budget
    result = join_tags(window[:cut].rstrip(" ,;:-–—"), tags)
    return result[:limit], True


STOPWORDS = frozenset(
    # brief words that describe the task, not the topic: never hashtags
    [
        "about",
        "after",
        "again",
        "their",
        "there",
        "these",
        "those",
        "which",
        "while",
        "would",
        "could",
        "should",
        "with",
        "from",
        "into",
        "your",
        "our",
        "this",
        "that",
        "have",
        "will",
        "just",
        "more",
        "most",
        "very",
        "what",
        "when",
        "where",
        "write",
        "post",
        "posts",
        "launch",
        "create",
        "social",
        "media",
        "generate",
        "caption",
        "tweet",
        "announce",
        "share",
        "make",
    ]
)


def topic_keywords(topic: str, limit: int = 4) -> list[str]:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{4,}", topic) if w.lower() not in STOPWORDS]
    return list(dict.fromkeys(words))[:limit]


def count_words(text: str) -> int:
    return len(text.split())


def finalize(
    raw: str,
    platform_key: str,
    catalog: Catalog,
    *,
    hashtags: bool = True,
    industry: str | None = None,
    topic: str = "",
    ran_out_of_tokens: bool = False,
) -> Post:
    """`topic` (the brief's prompt) and the industry's terminology supply hashtags when too few."""
    platform = catalog.platforms[platform_key]
    text = collapse_repetition(strip_debris(raw))
    if ran_out_of_tokens:
        text = drop_unfinished_tail(text)
    candidates = topic_keywords(topic)
    if industry:
        candidates += catalog.industries[industry].terminology
    text, _ = normalise_hashtags(text, platform, hashtags, candidates)
    text, truncated = fit_limit(text, platform.char_limit)
    kept = ["#" + t for t in HASHTAG.findall(text)]
    return Post(text, count_words(text), len(text), kept, truncated)
