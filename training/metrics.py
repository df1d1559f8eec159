"""Text metrics for `postpulse eval`: platform compliance, variety, repetition, the tone classifier
(TF-IDF + logistic regression trained on the training split's human posts), and what a marketer
checks first: key-term coverage, invented specifics, first person, cut fragments, hashtag lines.

Why a classifier as the tone judge: it is cheap, reproducible and needs no second model; its own
held-out accuracy on human posts is reported so the reader knows how far to trust it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.brief import Brief
from bot.catalog import Catalog
from bot.postprocess import HASHTAG, ends_complete
from bot.postprocess import hashtag_lines_valid as hashtag_lines_valid  # what a finished draft has
from bot.quality import hashtags, scoring, specifics, tone
from bot.quality.bestof import known
from bot.quality.factguard import invented
from training.dataset import hashtag_count

WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def within_limit(text: str, platform: str, catalog: Catalog) -> bool:
    return len(text) <= catalog.platforms[platform].char_limit


def hashtags_ok(text: str, platform: str, catalog: Catalog) -> bool:
    norm = catalog.platforms[platform].hashtags
    return norm.min <= hashtag_count(text) <= norm.max


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / all n-grams pooled over the variants of one brief (1.0 = no overlap)."""
    grams = [g for t in texts for g in ngrams(words(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(text: str, n: int = 4) -> float:
    """Share of a text's word n-grams that repeat an earlier one in the same text (0 = none)."""
    grams = ngrams(words(text), n)
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


# The tone judge lives in bot/ (best-of-n scores with it too); the eval uses the very same class.
ToneClassifier = tone.ToneClassifier


def key_term_coverage(text: str, brief: str) -> float:
    """Share of the brief's key terms (bot.quality.scoring.key_terms) the draft mentions."""
    return scoring.coverage(text, scoring.key_terms(brief))


def has_invented_specifics(text: str, sources: Sequence[str | None]) -> bool:
    return bool(invented(text, sources))


def first_person(text: str) -> bool:
    return scoring.first_person_singular(text)


def is_fragment(text: str) -> bool:
    """The draft's body does not end a sentence ("It'", "…and the")."""
    return not ends_complete(text)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class SpecificsScore:
    """What one delivered draft does with its brief's specifics (issue 18)."""

    kept: int
    total: int
    contradicted: int
    invented_names: tuple[str, ...]
    bad_tags: tuple[str, ...]  # hashtags outside the rule, and "markup" where markdown shows raw

    @property
    def all_kept(self) -> bool:
        return self.kept == self.total


def specifics_score(text: str, brief: Brief, catalog: Catalog) -> SpecificsScore:
    terminology = catalog.industries[brief.industry].terminology if brief.industry else []
    given = specifics.brief_specifics(brief)
    result = specifics.check(text, given, known(brief, catalog))
    vocabulary = hashtags.vocabulary([*specifics.brief_fields(brief), *terminology])
    tags = ["#" + t for t in HASHTAG.findall(text)]
    bad = hashtags.bad_tags(tags, vocabulary) + (["markup"] if hashtags.has_markup(text) else [])
    return SpecificsScore(
        len(result.kept), len(given), len(result.contradicted), result.invented_names, tuple(bad)
    )
