"""Dataset schema: line-numbered validation, preference records, rated drafts, prompt building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.brief import make_brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.prompts import build_messages
from training.dataset import Record, dataset_hash, expand, load_file, to_prompt_completion
from training.errors import DatasetError
from training.feedback import RatedDraft, records_from_ratings

GOOD = {
    "prompt": "Spring sale on linen shirts",
    "platform": "x",
    "tone": "casual",
    "industry": "retail",
    "text": "Linen season is here ☀️ 30% off every shirt this week. #LinenSeason",
}


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_loads_with_canonical_names(tmp_path: Path, catalog: Catalog) -> None:
    alias = {**GOOD, "platform": "Twitter", "tone": "Motivational", "industry": "e-commerce"}
    items = load_file(_write(tmp_path, [json.dumps(GOOD), "", json.dumps(alias)]), catalog)
    assert [i.line for i in items] == [1, 3]
    assert (items[1].record.platform, items[1].record.tone, items[1].record.industry) == (
        "x",
        "inspirational",
        "retail",
    )


def test_errors_name_file_line_and_field(tmp_path: Path, catalog: Catalog) -> None:
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "tone": "sarcastic"}),
        json.dumps({k: v for k, v in GOOD.items() if k != "text"}),
        json.dumps({**GOOD, "max_length": "long"}),
        json.dumps({**GOOD, "colour": "red"}),
        json.dumps({**GOOD, "text": "x" * 300}),
    ]
    path = _write(tmp_path, lines)
    with pytest.raises(DatasetError) as info:
        load_file(path, catalog)
    problems = info.value.problems
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5", "6", "7"]
    assert "invalid JSON" in problems[0]
    assert "tone" in problems[1] and "sarcastic" in problems[1]
    assert "missing 'text'" in problems[2]
    assert "max_length" in problems[3]
    assert "unknown field" in problems[4]
    assert "300 characters" in problems[5] and "280" in problems[5]
    assert f"{path}:2:" in str(info.value)


def test_missing_glob_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no dataset files match"):
        expand([str(tmp_path / "nothing" / "*.jsonl")])


def test_preference_pair_trains_on_chosen(catalog: Catalog) -> None:
    fields = {k: v for k, v in GOOD.items() if k != "text"}
    pair = Record(**fields, chosen="Good one #Linen", rejected="Bad one")
    assert pair.is_preference and pair.target == "Good one #Linen"
    with pytest.raises(ValueError, match="either 'text'"):
        Record(**GOOD, chosen="a", rejected="b")


def test_rated_drafts_become_sft_records_and_pairs() -> None:
    brief = {k: v for k, v in GOOD.items() if k != "text"}
    other = {**brief, "prompt": "Another brief"}
    drafts = [
        RatedDraft(brief, "approved A #A", True, "1"),
        RatedDraft(brief, "rejected B", False, "2"),
        RatedDraft(brief, "approved C #C", True, "3"),
        RatedDraft(other, "only rejected", False, "4"),
    ]
    sft, pairs = records_from_ratings(drafts)
    assert [r.text for r in sft] == ["approved A #A", "approved C #C"]
    assert [(p.chosen, p.rejected) for p in pairs] == [
        ("approved A #A", "rejected B"),
        ("approved C #C", "rejected B"),
    ]
    assert pairs[0].source == "feedback:1>2"


def test_training_prompt_is_the_served_prompt(catalog: Catalog, app_config: AppConfig) -> None:
    record = Record(**{**GOOD, "audience": "students", "max_length": 80})
    served = make_brief(
        {**GOOD, "audience": "students", "max_length": 80, "text": None}, catalog, app_config.engine
    )
    example = to_prompt_completion(record, catalog)
    assert example["prompt"] == build_messages(served, catalog)
    assert example["completion"] == [{"role": "assistant", "content": GOOD["text"]}]


def test_dataset_hash_follows_content_not_folder(tmp_path: Path) -> None:
    a = tmp_path / "a" / "casual.jsonl"
    b = tmp_path / "b" / "casual.jsonl"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text(json.dumps(GOOD) + "\n")
    assert dataset_hash([a]) == dataset_hash([b])
    b.write_text(json.dumps({**GOOD, "tone": "witty"}) + "\n")
    assert dataset_hash([a]) != dataset_hash([b])
