"""Best-of-n: score every sampled candidate, keep the best distinct ones as the draft's variants.

Why keep distinct ones rather than the top k: variants are alternatives for a marketer to choose
from; two near-copies of the best candidate offer no choice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.postprocess import Post, ends_complete, finalize, strip_debris
from bot.quality import scoring

if TYPE_CHECKING:
    from bot.brief import Brief
    from bot.catalog import Catalog
    from bot.quality.tone import ToneClassifier
    from engine.types import SequenceOutput

T = TypeVar("T")
SIMILAR = 0.6  # word-trigram Jaccard above which two candidates count as the same draft


@dataclass(frozen=True)
class Candidate(Generic[T]):
    item: T
    text: str
    total: float
    rejected: bool = False
    finish_reason: str = "stop"


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def similarity(a: str, b: str) -> float:
    ga, gb = _trigrams(a), _trigrams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else float(a.strip() == b.strip())


def rank_key(candidate: Candidate[T]) -> tuple[bool, float]:
    """Best first: any candidate the fact guard did not reject, then the higher total."""
    return candidate.rejected, -candidate.total


def pick(candidates: Sequence[Candidate[T]], k: int) -> list[Candidate[T]]:
    """The k best candidates (rejected ones last), skipping near-copies of one already kept; where
    too few distinct ones exist, the best remaining fill up, so a request always gets k variants."""
    ranked = sorted(candidates, key=rank_key)
    kept: list[Candidate[T]] = []
    for cand in ranked:
        if len(kept) == k:
            break
        if cand.text.strip() and all(similarity(cand.text, other.text) <= SIMILAR for other in kept):
            kept.append(cand)
    for cand in ranked:
        if len(kept) == k:
            break
        if cand not in kept:
            kept.append(cand)
    return kept


def sources(brief: Brief) -> list[str | None]:
    """What the fact guard lets a draft state: the brief's own words."""
    return [brief.prompt, brief.brand_voice, brief.audience, brief.call_to_action]


def deliver(brief: Brief, output: SequenceOutput, catalog: Catalog, preferred: Sequence[str] = ()) -> Post:
    """The draft a user gets from one sampled output; eval calls this too, so the two cannot drift."""
    return finalize(
        output.text,
        brief.platform,
        catalog,
        hashtags=brief.hashtags,
        industry=brief.industry,
        topic=brief.prompt,
        ran_out_of_tokens=output.finish_reason == "length",
        sources=sources(brief),
        brand_voice=not scoring.voice_allows_first_person(brief.brand_voice),
        preferred=preferred,
    )


def score_outputs(
    brief: Brief,
    outputs: Sequence[SequenceOutput],
    catalog: Catalog,
    judge: ToneClassifier | None,
    preferred: Sequence[str] = (),
) -> list[Candidate[Post]]:
    """Post-process and score every candidate the engine sampled for one brief; `preferred`: the
    brand kit's hashtags, tried first."""
    posts = [deliver(brief, out, catalog, preferred) for out in outputs]
    agreement = judge.agreement([p.text for p in posts], brief.tone) if judge else [None] * len(posts)
    typical = catalog.platforms[brief.platform].typical_words
    candidates: list[Candidate[Post]] = []
    for out, post, tone in zip(outputs, posts, agreement, strict=True):
        raw = strip_debris(out.text)
        breakdown = scoring.score(
            raw=raw,
            final=post.text,
            brief=brief.prompt,
            sources=sources(brief),
            typical_words=(typical[0], typical[1]),
            complete_ending=ends_complete(raw),
            tone_agreement=tone,
            voice=brief.brand_voice,
        )
        scored = replace(post, score=breakdown.as_dict())
        candidates.append(Candidate(scored, post.text, breakdown.total, post.rejected, out.finish_reason))
    return candidates
