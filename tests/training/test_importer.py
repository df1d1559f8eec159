"""`postpulse data import`: CSV/JSONL columns mapped into the schema, bad rows skipped by line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.catalog import Catalog
from training import cli
from training.errors import ImportMappingError
from training.importer import import_file, parse_pairs


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


ROWS = [
    {
        "brief": "Open house Saturday",
        "caption": "Come see 12 Elm St this Saturday! #OpenHouse",
        "network": "X",
        "mood": "casual",
    },
    {
        "brief": "Q3 results",
        "caption": "Revenue grew 18% in Q3. #Results #Growth #Finance",
        "network": "linkedin",
        "mood": "",
    },
    {"brief": "", "caption": "No brief here #Oops", "network": "x", "mood": "casual"},
    {"brief": "Bad platform", "caption": "text #Tag", "network": "myspace", "mood": "casual"},
]


def test_csv_columns_are_mapped_with_defaults(tmp_path: Path, catalog: Catalog) -> None:
    path = _csv(tmp_path / "posts.csv", ROWS)
    result = import_file(
        path,
        catalog,
        parse_pairs("prompt=brief,text=caption,platform=network,tone=mood", "--map"),
        parse_pairs("tone=professional,industry=real_estate", "--default"),
    )
    assert [(r.prompt, r.platform, r.tone, r.industry) for r in result.records] == [
        ("Open house Saturday", "x", "casual", "real_estate"),
        ("Q3 results", "linkedin", "professional", "real_estate"),
    ]
    assert result.records[0].text == ROWS[0]["caption"]
    assert result.skipped[0].startswith(f"{path}:4:") and "prompt" in result.skipped[0]
    assert result.skipped[1].startswith(f"{path}:5:") and "myspace" in result.skipped[1]


def test_unknown_column_and_bad_map(tmp_path: Path, catalog: Catalog) -> None:
    path = _csv(tmp_path / "posts.csv", ROWS)
    with pytest.raises(ImportMappingError, match="no column\\(s\\) body"):
        import_file(path, catalog, {"text": "body"}, {})
    with pytest.raises(ImportMappingError, match="unknown field 'caption'"):
        parse_pairs("caption=text", "--map")
    with pytest.raises(ImportMappingError, match="not field=value"):
        parse_pairs("prompt", "--map")


def test_cli_import_writes_schema_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "past.jsonl"
    src.write_text(json.dumps({"caption": "Fresh bagels at 7am 🥯 #Bagels", "topic": "Bagel morning"}) + "\n")
    out = tmp_path / "out.jsonl"
    code = cli.main(
        [
            "data",
            "import",
            str(src),
            "--map",
            "prompt=topic,text=caption",
            "--default",
            "tone=casual,platform=instagram",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    line = json.loads(out.read_text())
    assert line == {
        "prompt": "Bagel morning",
        "platform": "instagram",
        "tone": "casual",
        "text": "Fresh bagels at 7am 🥯 #Bagels",
    }
    assert "imported 1 records" in capsys.readouterr().out


def test_cli_errors_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["data", "import", str(tmp_path / "missing.csv"), "--map", "text=caption"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error:") and "missing.csv" in err
    assert "Traceback" not in err
