"""The brand kit's text rules, applied to every candidate after post-processing (bot.drafts):

1. banned words and phrases: found case-insensitively at word starts, with their inflections
   (a banned "cheap" is also "Cheaper", "cheapest", "#CheapFlights"); a candidate that has one is
   cleaned and ranked after every clean candidate, so it reaches a user only when every candidate
   had one (bot.quality.bestof.pick ranks rejected candidates last);
2. the emoji policy: none removes every emoji, some keeps the first two, many leaves them;
3. the required text: the disclaimer ends the post's body and the required hashtags lead its tag
   line, and the whole still fits the platform's limit (optional tags go first, then the body is
   cut at a sentence or word boundary: bot.postprocess.fit_limit).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.brandkit.kit import BrandKit
from bot.catalog import Platform
from bot.postprocess import EMOJI, HASHTAG, Post, count_words, fit_limit, join_tags, split_trailing_hashtags
from bot.quality.bestof import Candidate

# Inflections a banned short word (under PREFIX_MIN letters) also covers; a longer word covers any
# ending ("cheap" -> "cheapest", "cheapo"), a short one only these, so banning "ad" spares "address".
INFLECTIONS = r"(?:s|es|ed|er|ers|est|ing|ly|ness)?"
PREFIX_MIN = 4
DETERMINERS = "a|an|the|our|your|their|its|this|these|those|my"
SOME_EMOJI = 2  # the "some" policy's budget per post
EMOJI_RUN = re.compile(rf"{EMOJI}(?:\u200d{EMOJI}|\uFE0F)*")  # one emoji, ZWJ sequences included


@dataclass(frozen=True)
class Banned:
    """The compiled form of a kit's banned phrases."""

    pattern: re.Pattern[str] | None
    tag_keys: tuple[str, ...]  # the phrases without spaces, lower-case: "#CheapFlights" holds "cheap"

    @classmethod
    def of(cls, phrases: Sequence[str]) -> Banned:
        parts = []
        for phrase in sorted(phrases, key=len, reverse=True):
            words = phrase.split()
            body = r"[\s\-]+".join(re.escape(w) for w in words)
            last = words[-1]
            tail = r"\w*" if len(last) >= PREFIX_MIN and last[-1:].isalnum() else INFLECTIONS
            parts.append(body + tail)
        pattern = re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.IGNORECASE) if parts else None
        keys = tuple(re.sub(r"\W+", "", p).lower() for p in phrases)
        return cls(pattern, tuple(k for k in keys if k))

    def found(self, text: str) -> list[str]:
        """Every banned occurrence in `text` (a tag holding a banned word counts)."""
        hits = [m.group(0) for m in self.pattern.finditer(text)] if self.pattern else []
        hits += [m.group(0) for m in HASHTAG.finditer(text) if self._bad_tag(m.group(1))]
        return hits

    def _bad_tag(self, tag: str) -> bool:
        return any(key in tag.lower() for key in self.tag_keys)

    def scrub(self, text: str) -> str:
        """The text without any banned occurrence.

        Removal, not a synonym: a replacement can keep the claim the brand bans ("cheap" ->
        "affordable" still promises a price), and no fixed rewrite knows which words are safe for
        every brand, while dropping the word keeps the brief's facts. Tags holding a banned word go
        whole; a word goes with one adjoining space; the seams are tidied (doubled spaces, a space
        before punctuation, an empty sentence) and a sentence that now starts in lower case is
        capitalised. Repeated until nothing is found, since a removal can join two halves.
        """
        for _ in range(5):
            if not self.found(text):
                break
            text = HASHTAG.sub(lambda m: "" if self._bad_tag(m.group(1)) else m.group(0), text)
            if self.pattern is not None:
                text = self.pattern.sub("", text)
            text = _tidy(text)
        return text


def _tidy(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t]{2,}", " ", line)
        line = re.sub(r"\s+([,.;:!?…])", r"\1", line)  # "flights ," -> "flights,"
        line = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", line)  # ", ," -> ","
        line = re.sub(r"[,;:]+(?=[.!?…])", "", line)  # "fares,." -> "fares."
        line = re.sub(rf"\b({DETERMINERS}),\s*", r"\1 ", line, flags=re.IGNORECASE)  # "A, fun" -> "A fun"
        line = re.sub(r"(^|[.!?]\s+)[,;:]\s*", r"\1", line)  # a sentence starting ", "
        line = re.sub(r"(^|[.!?…]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), line.strip())
        line = re.sub(r"(^|\s)[.!?]+(?=\s|$)", r"\1", line).strip()  # a sentence left empty
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def apply_emoji(text: str, policy: str | None) -> str:
    """none: no emoji at all; some: the first SOME_EMOJI; many or unset: as written."""
    if policy not in ("none", "some"):
        return text
    keep = 0 if policy == "none" else SOME_EMOJI
    seen = 0

    def one(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= keep else ""

    out = EMOJI_RUN.sub(one, text)
    return _tidy(out) if seen > keep else text


def _without(text: str, phrase: str) -> str:
    return _tidy(re.sub(re.escape(phrase), "", text, flags=re.IGNORECASE))


def with_required(text: str, kit: BrandKit, platform: Platform, hashtags: bool) -> tuple[str, bool]:
    """The post ending in the disclaimer, its tag line led by the required hashtags, within the
    platform's limit; returns (text, truncated). Where the body is cut, it is closed at a sentence
    or word boundary (bot.postprocess.fit_limit), so the required text itself is never cut."""
    body, tags = split_trailing_hashtags(text)
    required = list(kit.required_hashtags)
    wanted = {t.lower() for t in required}
    if required:  # a required tag already inline stays where the model put it
        inline = {"#" + t.lower() for t in HASHTAG.findall(body)}
        required = [t for t in required if t.lower() not in inline]
    optional = [t for t in tags if t.lower() not in wanted]
    if not hashtags:
        optional = []
    room = max(platform.hashtags.max - len(required) - len(HASHTAG.findall(body)), 0)
    optional = optional[:room]
    if kit.disclaimer and kit.disclaimer.lower() in body.lower():
        body = _without(body, kit.disclaimer)
    tail = f"\n\n{kit.disclaimer}" if kit.disclaimer else ""
    limit = platform.char_limit

    def compose(body: str, optional: list[str]) -> str:
        return join_tags((body + tail).strip(), required + optional)

    out = compose(body, optional)
    while len(out) > limit and optional:
        optional.pop()
        out = compose(body, optional)
    if len(out) <= limit:
        return out, False
    budget = limit - (len(out) - len(body))
    cut, _, _ = fit_limit(body, max(budget, 0))
    return compose(cut, []), True


def obey(post: Post, kit: BrandKit, banned: Banned, platform: Platform, hashtags: bool) -> tuple[Post, int]:
    """The post under the kit, and how many banned occurrences it had (0: it was clean)."""
    hits = len(banned.found(post.text))
    text = banned.scrub(post.text) if hits else post.text
    text = apply_emoji(text, kit.emoji)
    truncated = False
    if kit.disclaimer or kit.required_hashtags:
        text, truncated = with_required(text, kit, platform, hashtags)
    if text == post.text:
        return post, hits
    updated = replace(
        post,
        text=text,
        word_count=count_words(text),
        character_count=len(text),
        hashtags=["#" + t for t in HASHTAG.findall(text)],
        truncated=post.truncated or truncated,
    )
    return updated, hits


@functools.lru_cache(maxsize=256)
def compiled(phrases: tuple[str, ...]) -> Banned:
    """A kit's banned phrases compiled once (kits change rarely, drafts often)."""
    return Banned.of(phrases)


def obey_candidates(
    candidates: Sequence[Candidate[Post]], kit: BrandKit, platform: Platform, hashtags: bool
) -> list[Candidate[Post]]:
    """Every best-of-n candidate under the kit. One that had a banned phrase is cleaned and marked
    rejected, so `pick` ranks it after every clean one; its score breakdown counts the hits."""
    banned = compiled(kit.banned)
    out: list[Candidate[Post]] = []
    for cand in candidates:
        post, hits = obey(cand.item, kit, banned, platform, hashtags)
        if hits and post.score is not None:
            post = replace(post, score={**post.score, "banned": float(hits)})
        out.append(replace(cand, item=post, text=post.text, rejected=cand.rejected or hits > 0))
    return out


class StreamGuard:
    """Streamed previews without banned text: a phrase may span deltas, so the words that could
    still complete one (the phrase's length in words, the unfinished word included) are held
    back, and what is shown is the scrubbed rest. The finished draft replaces the previews."""

    def __init__(self, banned: Banned, phrases: Sequence[str]) -> None:
        self.banned = banned
        self.hold = max((len(p.split()) for p in phrases), default=1) - 1
        self.raw = ""
        self.sent = ""

    def feed(self, delta: str) -> str:
        self.raw += delta
        # Complete words only (the last one may still grow into "cheapest"), scrubbed; then the
        # last `hold` words wait, since a phrase starting among them may still complete.
        words_end = max((m.start() for m in re.finditer(r"\s+", self.raw)), default=0)
        text = self.banned.scrub(self.raw[:words_end])
        if self.hold:
            gaps = list(re.finditer(r"\s+", text))
            text = text[: gaps[-self.hold].start()] if len(gaps) >= self.hold else ""
        if not text.startswith(self.sent):
            return ""  # a tidy-up changed what was shown: the finished draft replaces it
        new, self.sent = text[len(self.sent) :], text
        return new
