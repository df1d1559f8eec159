"""The starter dataset itself: valid, big enough, covering every cell, compliant and not templated."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from bot.catalog import Catalog
from training.dataset import Loaded, compliance_problems, load_file

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "data" / "starter"
PLATFORMS = ("instagram", "x", "facebook", "linkedin")


def _split(catalog: Catalog, split: str) -> list[Loaded]:
    files = sorted((STARTER / split).glob("*.jsonl"))
    assert files, f"no files in {STARTER / split}"
    return [item for f in files for item in load_file(f, catalog, strict_limits=False)]


@pytest.fixture(scope="module")
def train(catalog: Catalog) -> list[Loaded]:
    return _split(catalog, "train")


@pytest.fixture(scope="module")
def heldout(catalog: Catalog) -> list[Loaded]:
    return _split(catalog, "heldout")


def test_sizes(train: list[Loaded], heldout: list[Loaded]) -> None:
    assert len(train) >= 500, f"{len(train)} training examples; need >= 500"
    assert len(heldout) >= 100, f"{len(heldout)} held-out examples; need >= 100"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_every_tone_platform_cell(split: str, catalog: Catalog, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    cells = Counter((i.record.tone, i.record.platform) for i in items)
    missing = [f"{t}/{p}" for t in catalog.tones for p in PLATFORMS if cells[(t, p)] == 0]
    assert not missing, f"{split}: no examples for {', '.join(missing)}"


def test_industries(train: list[Loaded]) -> None:
    industries = {i.record.industry for i in train if i.record.industry}
    assert len(industries) >= 10, f"only {len(industries)} industries: {sorted(industries)}"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_limits_and_hashtag_norms(split: str, catalog: Catalog, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    bad = [f"{i.where}: {p}" for i in items for p in compliance_problems(i.record, catalog)]
    assert not bad, "\n".join(bad[:20])


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = _normalised(text).split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _near_duplicates(items: list[Loaded]) -> list[str]:
    found = []
    seen: dict[str, Loaded] = {}
    for item in items:
        key = _normalised(item.record.target)
        if key in seen:
            found.append(f"{item.where} repeats {seen[key].where}")
        seen.setdefault(key, item)
    shingles = [(_shingles(i.record.target), i) for i in items]
    for (a, ia), (b, ib) in combinations(shingles, 2):
        if a and b and len(a & b) / len(a | b) > 0.5:
            found.append(f"{ia.where} ~ {ib.where} (5-gram Jaccard {len(a & b) / len(a | b):.2f})")
    return found


def test_no_near_duplicates(train: list[Loaded], heldout: list[Loaded]) -> None:
    dupes = _near_duplicates(train + heldout)
    assert not dupes, "\n".join(dupes[:20])


def test_no_train_heldout_overlap(train: list[Loaded], heldout: list[Loaded]) -> None:
    train_texts = {_normalised(i.record.target) for i in train}
    train_prompts = {_normalised(i.record.prompt) for i in train}
    leaks = [
        i.where
        for i in heldout
        if _normalised(i.record.target) in train_texts or _normalised(i.record.prompt) in train_prompts
    ]
    assert not leaks, f"held-out examples also in train: {leaks[:20]}"
