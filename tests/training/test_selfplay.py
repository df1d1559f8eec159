"""Self-play pairs: best-vs-worst by the best-of-n score, kept only when they teach the asked tone."""

from __future__ import annotations

from bot.postprocess import Post
from bot.quality.bestof import Candidate
from bot.quality.tone import default_judge
from training.dataset import Record
from training.selfplay import pair_for

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
