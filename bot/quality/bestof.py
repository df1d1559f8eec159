"""Best-of-n: score every sampled candidate, keep the best distinct ones as the draft's variants.

Why keep distinct ones rather than the top k: variants are alternatives for a marketer to choose
from; two near-copies of the best candidate offer no choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.postprocess import Post, ends_complete, finalize, strip_debris
from bot.quality import scoring
from bot.quality.repair import restore
from bot.quality.specifics import FactCheck, Specific, brief_fields, brief_specifics, check, known_text

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
    facts: FactCheck | None = None  # what it does with the brief's specifics (None: not checked)
    repaired: bool = False  # the repair put specifics back in the brief's words (bot.quality.repair)

    @property
    def meets(self) -> bool:
        """The requirement (issue 18): finished, keeps every specific, contradicts none, invents no name."""
        return not self.rejected and (self.facts is None or self.facts.ok)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def similarity(a: str, b: str) -> float:
    ga, gb = _trigrams(a), _trigrams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else float(a.strip() == b.strip())


def rank_key(candidate: Candidate[T]) -> tuple[bool, bool, bool, int, int, float]:
    """Best first: not rejected; meeting the requirement; written that way by the model rather than
    repaired (a repaired post can repeat itself); then, where none meets it, keeping the most (a
    contradiction counts as a missing fact and a wrong one); fewest invented names; the higher total.

    Why a requirement rather than a seventh weight: a flash-sale post without its discount is no use
    however well it scores on tone, so no total can buy back a dropped fact."""
    facts = candidate.facts
    lost = len(facts.missing) + len(facts.contradicted) if facts else 0
    names = len(facts.invented_names) if facts else 0
    return candidate.rejected, not candidate.meets, candidate.repaired, lost, names, -candidate.total


def total_key(candidate: Candidate[T]) -> tuple[bool, float]:
    """The ranking before issue 18 (not rejected, then the higher total): kept for comparisons."""
    return candidate.rejected, -candidate.total


def pick(
    candidates: Sequence[Candidate[T]], k: int, key: Callable[[Candidate[T]], Any] = rank_key
) -> list[Candidate[T]]:
    """The k best candidates (rejected ones last), skipping near-copies of one already kept; where
    too few distinct ones exist, the best remaining fill up, so a request always gets k variants."""
    ranked = sorted(candidates, key=key)
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
    ran_out = output.finish_reason == "length"
    return deliver_text(brief, output.text, catalog, ran_out_of_tokens=ran_out, preferred=preferred)


def deliver_text(
    brief: Brief,
    text: str,
    catalog: Catalog,
    *,
    ran_out_of_tokens: bool = False,
    preferred: Sequence[str] = (),
) -> Post:
    return finalize(
        text,
        brief.platform,
        catalog,
        hashtags=brief.hashtags,
        industry=brief.industry,
        topic=brief.prompt,
        ran_out_of_tokens=ran_out_of_tokens,
        sources=sources(brief),
        brand_voice=not scoring.voice_allows_first_person(brief.brand_voice),
        preferred=preferred,
    )


def repaired(
    brief: Brief, candidate: Candidate[Post], catalog: Catalog, preferred: Sequence[str] = ()
) -> Candidate[Post]:
    """`candidate` with the brief's missing specifics restored in its own words (bot.quality.repair),
    when that keeps more and breaks nothing; else the candidate as it was."""
    facts = candidate.facts
    if facts is None or facts.ok:
        return candidate
    text = restore(candidate.text, brief_fields(brief), facts)
    if text is None:
        return candidate
    post = deliver_text(brief, text, catalog, preferred=preferred)
    after = check(post.text, [*facts.kept, *facts.missing], known(brief, catalog))
    before_lost = len(facts.missing) + len(facts.contradicted) + len(facts.invented_names)
    after_lost = len(after.missing) + len(after.contradicted) + len(after.invented_names)
    if post.rejected or after_lost >= before_lost:
        return candidate
    base = dict(candidate.item.score or {})
    score = {**base, **facts_breakdown(after), "restored": [s.text for s in facts.missing if s in after.kept]}
    score["missing_before_repair"] = [s.text for s in facts.missing]
    return replace(candidate, item=replace(post, score=score), text=post.text, facts=after, repaired=True)


def known(brief: Brief, catalog: Catalog) -> str:
    """Every text that may name things in a draft of `brief`: its fields and its industry's terminology."""
    terminology = catalog.industries[brief.industry].terminology if brief.industry else []
    return known_text(brief, [*terminology, *catalog_names(catalog)])


def catalog_names(catalog: Catalog) -> list[str]:
    """Names the catalogue gives: a draft may say "Instagram" or "LinkedIn" without inventing them."""
    return [p.display_name for p in catalog.platforms.values()]


def facts_breakdown(facts: FactCheck) -> dict[str, object]:
    """The score breakdown's account of the brief's specifics: what was missing, what was changed."""
    return {
        "specifics_kept": f"{len(facts.kept)}/{len(facts.kept) + len(facts.missing)}",
        "missing": [s.text for s in facts.missing],
        "contradicted": [f"{s.text} -> {said}" for s, said in facts.contradicted],
        "invented_names": list(facts.invented_names),
    }


def score_outputs(
    brief: Brief,
    outputs: Sequence[SequenceOutput],
    catalog: Catalog,
    judge: ToneClassifier | None,
    specifics: Sequence[Specific] | None = None,
    preferred: Sequence[str] = (),
) -> list[Candidate[Post]]:
    """Post-process and score every candidate the engine sampled for one brief; each is checked
    against the brief's specifics (`specifics`, else extracted here). `preferred`: the brand kit's
    hashtags, tried first."""
    given = brief_specifics(brief) if specifics is None else specifics
    names_from = known(brief, catalog)
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
        facts = check(post.text, given, names_from)
        scored = replace(post, score={**breakdown.as_dict(), **facts_breakdown(facts)})
        candidates.append(
            Candidate(scored, post.text, breakdown.total, post.rejected, out.finish_reason, facts)
        )
    return candidates
