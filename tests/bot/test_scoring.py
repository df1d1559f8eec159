"""The best-of-n score: each criterion moves the total the way its name says, and the picker keeps
the best distinct candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import QualityConfig
from bot.prompts import COMPACT_VERSION, adapter_prompt_format, build_messages, prompt_format_for
from bot.quality import scoring
from bot.quality.bestof import Candidate, pick, score_outputs
from bot.quality.tone import ToneClassifier, default_judge, read_posts
from engine.types import SequenceOutput

BRIEF = "spring sale on garden tools, 20% off this weekend"
GOOD = (
    "Spring is here, and so is our garden tools sale. Every tool in store is 20% off this weekend. "
    "Pruners, trowels and rakes that last for years. Come by and get your garden ready."
)


def _score(final: str, raw: str | None = None, **kw: object) -> scoring.Score:
    args: dict[str, object] = {
        "raw": raw if raw is not None else final,
        "final": final,
        "brief": BRIEF,
        "sources": [BRIEF],
        "typical_words": (30, 120),
        "complete_ending": True,
        "tone_agreement": 0.8,
    }
    args.update(kw)
    return scoring.score(**args)  # type: ignore[arg-type]


def test_key_terms_skip_task_words() -> None:
    assert scoring.key_terms("Create a social media post about our new smartphone release") == [
        "smartphone",
        "release",
    ]
    assert scoring.key_terms(BRIEF) == ["spring", "sale", "garden", "tools"]


def test_coverage_counts_inflections_and_hashtags() -> None:
    assert scoring.coverage("Our garden tool range #SpringSale", ["spring", "sale", "garden", "tools"]) == 1.0
    assert scoring.coverage("Our new smartwatch is here.", ["smartphone", "release"]) == 0.0


def test_a_good_draft_scores_full_marks_but_tone() -> None:
    s = _score(GOOD)
    assert (s.key_terms, s.facts, s.ending, s.voice, s.length) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert s.total == pytest.approx((10.0 - 1.5 * 0.2) / 10.0)


@pytest.mark.parametrize(
    ("change", "criterion"),
    [
        ({"final": "A smartwatch for your wrist. Come by and see it this week, friends."}, "key_terms"),
        ({"raw": GOOD + " Call 555-123-4567 by Monday, May 7th."}, "facts"),
        ({"complete_ending": False}, "ending"),
        ({"tone_agreement": 0.1}, "tone"),
        ({"final": GOOD.replace("Come by", "I think you should come by")}, "voice"),
        ({"final": "Garden tools sale, spring."}, "length"),
    ],
)
def test_each_criterion_lowers_the_total(change: dict[str, object], criterion: str) -> None:
    good, worse = _score(GOOD), _score(change.pop("final", GOOD), **change)  # type: ignore[arg-type]
    assert getattr(worse, criterion) < getattr(good, criterion)
    assert worse.total < good.total


def test_invented_specifics_and_missing_terms_are_named() -> None:
    text = "A smartwatch. Only $49m. Ends Monday, May 7th."
    s = _score(text, raw=text)
    assert set(s.invented) == {"$49m", "Monday", "May 7th"}
    assert s.missing_terms == ("spring", "sale", "garden", "tools")
    assert s.as_dict()["invented"] == list(s.invented)


def test_first_person_in_quotes_or_asked_for_is_fine() -> None:
    assert not scoring.first_person_singular('"I finally have a tidy shed," one customer told us.')
    assert scoring.first_person_singular("I love our new shed range.")
    voiced = _score(GOOD + " I picked every tool myself.", voice="first person, from Maya the owner")
    assert voiced.voice == 1.0


def test_length_fit() -> None:
    assert scoring.length_fit(50, (30, 120)) == 1.0
    assert scoring.length_fit(15, (30, 120)) == 0.0
    assert 0 < scoring.length_fit(180, (30, 120)) < 1


def test_pick_keeps_best_distinct_and_rejected_last() -> None:
    a = Candidate("a", "Our garden tools sale is on this weekend, come and see.", 0.9)
    a2 = Candidate("a2", "Our garden tools sale is on this weekend, come and see!", 0.85)
    b = Candidate("b", "Spring cleaning for your shed: every tool you need, in one place.", 0.7)
    r = Candidate("r", "Something totally different and fine to read here.", 0.99, rejected=True)
    assert [c.item for c in pick([a, a2, b, r], 2)] == ["a", "b"]
    assert [c.item for c in pick([a, a2], 2)] == ["a", "a2"]  # too few distinct: best remaining fill up
    assert [c.item for c in pick([r, b], 1)] == ["b"]


def test_tone_judge_agrees_with_its_own_training_posts() -> None:
    texts, tones = read_posts()
    judge = default_judge()
    assert isinstance(judge, ToneClassifier)
    assert judge.accuracy(texts[:200], tones[:200]) > 0.9
    text = ["Quiet refinement, crafted without compromise. Reserve a private viewing."]
    assert judge.agreement(text, "luxury")[0] > judge.agreement(text, "casual")[0]
    assert judge.agreement(text, judge.predict(text)[0]) == [1.0]  # the judge's own pick agrees fully
    assert all(0.0 <= a <= 1.0 for tone in ("casual", "witty", "fomo") for a in judge.agreement(text, tone))


def test_score_outputs_prefers_the_clean_on_topic_candidate(catalog: Catalog) -> None:
    brief = Brief(prompt=BRIEF, platform="instagram", tone="casual", industry="retail")
    outputs = [
        SequenceOutput(
            index=0,
            text="Big news! Our smartwatch ships Monday, May 7th for $49m. Follow @HealthierLiving and",
            token_ids=[],
            finish_reason="length",
        ),
        SequenceOutput(
            index=1, text=GOOD + "\n\n#GardenTools #SpringSale", token_ids=[], finish_reason="stop"
        ),
    ]
    cands = score_outputs(brief, outputs, catalog, default_judge())
    best = pick(cands, 1)[0]
    assert best.item.text.startswith("Spring is here")
    assert best.item.score is not None and best.item.score["facts"] == 1.0
    worst = min(cands, key=lambda c: c.total)
    assert worst.item.score is not None and "$49m" in worst.item.score["invented"]
    assert "$49m" not in worst.item.text  # the guard removed it even from the losing candidate


def test_candidates_per_backend() -> None:
    quality = QualityConfig(best_of={"transformers": 2, "vllm": 4}, max_candidates=8)
    assert quality.candidates("transformers", 1) == 2
    assert quality.candidates("vllm", 3) == 8  # capped
    assert quality.candidates("openai", 3) == 3  # not listed: one candidate per variant


def test_prompt_format_follows_the_adapter_metadata(tmp_path: Path, catalog: Catalog) -> None:
    assert adapter_prompt_format(None) == "full"
    assert adapter_prompt_format(tmp_path) == "full"  # no postpulse.json: an adapter from before
    (tmp_path / "postpulse.json").write_text(json.dumps({"prompt_format": COMPACT_VERSION}))
    assert prompt_format_for(QualityConfig().prompt_format, str(tmp_path)) == "compact"
    assert prompt_format_for(QualityConfig(prompt_format="full").prompt_format, str(tmp_path)) == "full"
    brief = Brief(prompt="new oat milk latte", platform="x", tone="witty", industry="food_beverage")
    system, user = build_messages(brief, catalog, "compact")
    other = build_messages(brief.model_copy(update={"prompt": "cold brew is back"}), catalog, "compact")
    assert system == other[0]  # one constant system turn: every prompt shares it
    assert user["content"].splitlines()[-1] == "brief: new oat milk latte"  # the brief comes last
    head = ["platform: x", "tone: witty", "industry: food beverage", "hashtags: on"]
    assert user["content"].splitlines()[:4] == head
