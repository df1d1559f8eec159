"""Text metrics for `postpulse eval`: platform compliance, variety, repetition, and the tone
classifier (TF-IDF + logistic regression trained on the training split's human posts).

Why a classifier as the tone judge: it is cheap, reproducible and needs no second model; its own
held-out accuracy on human posts is reported so the reader knows how far to trust it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalog import Catalog
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


@dataclass
class ToneClassifier:
    """TF-IDF (word 1-2 grams + char 3-5 grams) -> logistic regression over the catalogue's tones."""

    pipeline: Any

    @classmethod
    def fit(cls, texts: Sequence[str], tones: Sequence[str], seed: int = 0) -> ToneClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
        )
        model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000, random_state=seed))
        model.fit(list(texts), list(tones))
        return cls(model)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(t) for t in self.pipeline.predict(list(texts))] if texts else []

    def accuracy(self, texts: Sequence[str], tones: Sequence[str]) -> float:
        predicted = self.predict(texts)
        return sum(p == t for p, t in zip(predicted, tones, strict=True)) / len(tones) if tones else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
