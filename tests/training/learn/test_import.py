"""`postpulse brand import`: CSV and JSONL, per-line errors, idempotency, brand checks, and the
details (brief, platform, tone, date, engagement) stored with each example."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import load_config
from bot.store import database_url, open_store
from bot.store.brand_kits import ExamplePost
from tests.training.learn.posts import acme_posts, write_csv, write_jsonl


def stored(app_file: Path, brand: str = "acme") -> list[ExamplePost]:
    config = load_config(app_file)

    async def read() -> list[ExamplePost]:
        store = await open_store(database_url(None, config.store.path))
        try:
            return await store.brand_kits.example_posts(brand)
        finally:
            await store.close()

    return asyncio.run(read())


def test_csv_and_jsonl_import_once(
    configs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_file, _ = configs
    rows = acme_posts(12)
    csv_file = write_csv(rows[:8], tmp_path / "posts.csv")
    jsonl_file = write_jsonl(rows[4:], tmp_path / "posts.jsonl")  # 4 overlap with the CSV

    assert main(["brand", "import", "--brand", "acme", str(csv_file), "--config", str(app_file)]) == 0
    assert "added 8, already there 0" in capsys.readouterr().out
    assert main(["brand", "import", "--brand", "acme", str(jsonl_file), "--config", str(app_file)]) == 0
    assert "added 4, already there 4" in capsys.readouterr().out
    assert main(["brand", "import", "--brand", "acme", str(csv_file), "--config", str(app_file)]) == 0
    assert "added 0, already there 8" in capsys.readouterr().out

    posts = stored(app_file)
    assert len(posts) == 12
    first = next(p for p in posts if p.text == rows[0]["text"])
    assert first.source == "import"
    assert first.details == {
        "brief": rows[0]["brief"],
        "platform": "x",
        "tone": "casual",
        "date": "2026-01-01T00:00:00",
        "engagement": {"likes": 10, "shares": 0},  # CSV cells are text; the import reads the numbers
    }
    assert stored(app_file, "default") == []  # another brand's examples are untouched


def test_bad_lines_are_named_and_skipped(
    configs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_file, _ = configs
    good = acme_posts(2)
    lines = [
        json.dumps(good[0]),
        json.dumps({"text": "   ", "platform": "x"}),
        json.dumps({"text": "A post for a network we do not know.", "platform": "myspace"}),
        json.dumps({"text": "A post with a wild date.", "date": "last tuesday"}),
        json.dumps({"text": "A post with words for numbers.", "likes": "lots"}),
        "{not json",
        json.dumps({"text": "x" * 300, "platform": "x"}),
        json.dumps(good[1]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")

    assert main(["brand", "import", "--brand", "acme", str(path), "--config", str(app_file)]) == 0
    out, err = capsys.readouterr()
    assert "added 2, already there 0, skipped 6" in out
    assert "line 2: text is empty" in err
    assert "line 3: platform:" in err and "myspace" in err and "linkedin" in err  # names what is allowed
    assert "line 4: date: 'last tuesday' is not a date like 2026-11-01" in err
    assert "line 5: likes: an engagement count must be a number (got 'lots')" in err
    assert "line 6: invalid JSON" in err
    assert "line 7: text is 300 characters; x allows 280" in err
    assert len(stored(app_file)) == 2


def test_csv_without_a_text_column_and_unknown_brand(
    configs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_file, _ = configs
    bad = tmp_path / "export.csv"
    bad.write_text("caption,likes\nHello there.,3\n")
    assert main(["brand", "import", "--brand", "acme", str(bad), "--config", str(app_file)]) == 2
    assert "no 'text' column; the header names: caption, likes" in capsys.readouterr().err

    good = write_jsonl(acme_posts(1), tmp_path / "one.jsonl")
    assert main(["brand", "import", "--brand", "globex", str(good), "--config", str(app_file)]) == 2
    err = capsys.readouterr().err
    assert "no brand 'globex'" in err and "configured: acme" in err and "'default'" in err
    assert main(["brand", "import", "--brand", "default", str(good), "--config", str(app_file)]) == 0
    assert len(stored(app_file, "default")) == 1
