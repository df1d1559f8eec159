"""Brand kit example posts in the feedback export: SFT records marked as such, which the training
dataset loader accepts as they are."""

from __future__ import annotations

from pathlib import Path

from bot.catalog import Catalog
from training.dataset import load_file
from training.feedback import brand_example_records, write_records


def test_brand_examples_become_marked_sft_records_the_loader_reads(tmp_path: Path, catalog: Catalog) -> None:
    long = "Our spring menu is here. " + "Three new salads, made fresh every morning. " * 10
    examples = [
        ("acme", "Fly to Porto for less this spring! Book by Friday.\n\n#Travel", "chat"),
        ("acme", long.strip(), "import"),
        ("default", "   ", "chat"),
    ]
    records = brand_example_records(examples)
    assert [r.source for r in records] == ["brand_example:acme", "brand_example:acme"]
    assert records[0].prompt == "Fly to Porto for less this spring!" and records[0].platform == "x"
    assert records[1].platform == "linkedin" and records[1].text == long.strip()
    out = tmp_path / "examples.jsonl"
    assert write_records(records, out) == 2
    loaded = load_file(out, catalog)
    assert [item.record.text for item in loaded] == [r.text for r in records]
