"""Self-play pairs: best-vs-worst by the best-of-n score, kept only when they teach the asked tone;
kept-vs-lost pairs for the brief's specifics (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.postprocess import Post
from bot.quality.bestof import Candidate
from bot.quality.tone import default_judge
from engine.types import SequenceOutput
from training.dataset import Record
from training.errors import DatasetError
from training.selfplay import load_candidates, pair_for, save_candidates, specifics_pair

LUXURY = "Quiet refinement, crafted without compromise. Reserve a private viewing of the collection."
FLAT = "Watch. It is a watch. Watch watch."
RECORD = Record(prompt="new watch collection", platform="instagram", tone="luxury", text="x")


def cand(text: str, total: float, rejected: bool = False) -> tuple[Candidate[Post], str]:
    post = Post(text, len(text.split()), len(text), [], False)
    return Candidate(post, text, total, rejected), "raw: " + text


def test_pair_is_best_delivered_vs_worst_raw() -> None:
    judge = default_judge()
    assert judge is not None and judge.predict([LUXURY]) == ["luxury"]
    pair = pair_for(RECORD, [cand(FLAT, 0.4), cand(LUXURY, 0.9), cand(FLAT + " Now.", 0.6)], judge)
    assert pair is not None and pair.is_preference
    assert (pair.chosen, pair.rejected) == (LUXURY, "raw: " + FLAT)
    assert pair.tone == "luxury" and pair.source == "selfplay:0.90>0.40"


def test_no_pair_without_a_clear_winner_in_the_asked_tone() -> None:
    judge = default_judge()
    assert judge is not None
    assert pair_for(RECORD, [cand(LUXURY, 0.85), cand(FLAT, 0.8)], judge) is None  # gap too small
    assert pair_for(RECORD, [cand(LUXURY, 0.9, rejected=True), cand(FLAT, 0.1)], judge) is None
    casual = RECORD.model_copy(update={"tone": "casual"})
    assert pair_for(casual, [cand(LUXURY, 0.9), cand(FLAT, 0.1)], judge) is None  # judge says luxury


SALE = Record(
    prompt="48-hour flash sale: 40% off all running shoes",
    platform="instagram",
    tone="fomo",
    industry="retail",
    text="x",
)
KEEPS = "48 hours only: 40% off every pair of running shoes. Grab yours before the clock runs out."
DROPS = "Our flash sale is on! Big savings on running shoes. Grab yours before they're gone."
CHANGES = "Four days only: 40% off every pair of running shoes."


def test_specifics_pair_prefers_the_draft_that_keeps_every_specific(catalog: Catalog) -> None:
    scored = [cand(DROPS, 0.4), cand(KEEPS, 0.5), cand(CHANGES, 0.9)]
    pair = specifics_pair(SALE, scored, catalog)
    assert pair is not None and pair.is_preference
    assert pair.chosen == KEEPS  # kept beats a higher total that changed the duration
    assert pair.rejected == "raw: " + DROPS  # lost two, as CHANGES did; the lower total breaks the tie
    assert pair.source is not None and "48-hour" in pair.source and "40%" in pair.source


def test_a_changed_fact_is_a_loser_too(catalog: Catalog) -> None:
    pair = specifics_pair(SALE, [cand(KEEPS, 0.5), cand(CHANGES, 0.9)], catalog)
    assert pair is not None and pair.rejected == "raw: " + CHANGES


def test_no_specifics_pair_without_both_sides(catalog: Catalog) -> None:
    assert specifics_pair(SALE, [cand(DROPS, 0.9), cand(CHANGES, 0.8)], catalog) is None  # no keeper
    assert specifics_pair(SALE, [cand(KEEPS, 0.9), cand(KEEPS + " Now.", 0.8)], catalog) is None
    assert specifics_pair(SALE, [cand(KEEPS, 0.9, rejected=True), cand(DROPS, 0.1)], catalog) is None
    plain = SALE.model_copy(update={"prompt": "new running shoes"})
    assert specifics_pair(plain, [cand(KEEPS, 0.9), cand(DROPS, 0.1)], catalog) is None  # nothing to keep


def test_saved_candidates_load_back(tmp_path: Path) -> None:
    outs = [SequenceOutput(0, KEEPS, [1, 2], "stop"), SequenceOutput(1, DROPS, [3], "length")]
    save_candidates(tmp_path / "c.jsonl", [SALE], [outs])
    records, outputs = load_candidates(tmp_path / "c.jsonl")
    assert records == [SALE]
    assert [(o.text, o.finish_reason) for o in outputs[0]] == [(KEEPS, "stop"), (DROPS, "length")]
    (tmp_path / "bad.jsonl").write_text('{"record": {}}\n')
    with pytest.raises(DatasetError, match=r"bad\.jsonl"):
        load_candidates(tmp_path / "bad.jsonl")
