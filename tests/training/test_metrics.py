"""Eval metrics and the report, on small real inputs."""

from __future__ import annotations

from pathlib import Path

from bot.catalog import Catalog
from training import metrics
from training.report import write_report


def test_distinct_and_repetition() -> None:
    assert metrics.distinct_n(["a b c", "a b c"], 1) == 0.5
    assert metrics.distinct_n(["a b c", "d e f"], 2) == 1.0
    assert metrics.repetition_rate("buy now buy now buy now buy now", n=2) > 0.6
    assert metrics.repetition_rate("every word here is different from the others", n=2) == 0.0


def test_compliance_checks(catalog: Catalog) -> None:
    assert metrics.within_limit("x" * 280, "x", catalog) and not metrics.within_limit("x" * 281, "x", catalog)
    assert metrics.hashtags_ok("Hello #One #Two #Three", "linkedin", catalog)
    assert not metrics.hashtags_ok("Hello #One", "linkedin", catalog)


def test_tone_classifier_learns_tones() -> None:
    texts = ["we are pleased to report strong quarterly results"] * 3 + ["omg this is sooo good lol"] * 3
    tones = ["professional"] * 3 + ["casual"] * 3
    clf = metrics.ToneClassifier.fit(texts, tones)
    assert clf.predict(["pleased to report results", "lol so good"]) == ["professional", "casual"]
    assert clf.accuracy(texts, tones) == 1.0


def test_quality_metrics_on_issue_examples() -> None:
    assert metrics.key_term_coverage("Our new smartwatch is here!", "smartphone release") == 0.0
    assert metrics.key_term_coverage("Our smartphone: the release is today.", "smartphone release") == 1.0
    assert metrics.has_invented_specifics("Doors open Monday, May 7th.", ["cafe opening"])
    assert not metrics.has_invented_specifics("Doors open Friday.", ["cafe opening friday"])
    assert metrics.first_person("I love this one.") and not metrics.first_person("We love this one.")
    assert metrics.is_fragment("Come and see. It'") and not metrics.is_fragment("Come and see.")
    assert not metrics.hashtag_lines_valid("Fresh coffee.\n\n#Zimmerlin #FoodBeverages Coffee & Drink")
    assert not metrics.hashtag_lines_valid("Fresh coffee.\n\n#Introduce #Coffee")
    assert metrics.hashtag_lines_valid("Fresh coffee.\n\n#Coffee #Morning")


def test_report_has_table_and_chart(tmp_path: Path) -> None:
    model = {
        "platform_limit": 0.9,
        "hashtag_norm": 0.5,
        "tone_accuracy": 0.4,
        "distinct_1": 0.7,
        "distinct_2": 0.9,
        "repetition": 0.05,
        "perplexity": 12.5,
        "drafts": 4,
        "seconds": 3.0,
        "key_terms": 0.95,
        "invented": 0.02,
        "samples": [{"tone": "casual", "platform": "x", "prompt": "p", "draft": "d"}],
    }
    summary = {
        "heldout_briefs": 2,
        "variants": 2,
        "models": [{**model, "label": "base"}, {**model, "label": "adapter (a)", "perplexity": 8.0}],
        "settings": {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 32},
        "tone_classifier_heldout_accuracy_on_human_posts": 0.8,
        "adapter_meta": None,
    }
    path = write_report(summary, tmp_path)
    text = path.read_text()
    assert "| Metric | base | adapter (a) | better |" in text
    assert "| Perplexity of held-out human posts | 12.50 | 8.00 | lower |" in text
    assert "| Key-term coverage (delivered draft) | 95.0% | 95.0% | higher |" in text
    assert "Cut fragments" not in text  # rows the summary lacks are left out, not shown as zero
    assert (tmp_path / "eval_chart.png").stat().st_size > 1000
