"""The tone judge's cache: a start loads the judge fitted on the same bytes instead of fitting again."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.quality import tone
from bot.quality.tone import ToneClassifier, load_or_fit

POSTS = {
    "casual": ["hey folks, new mugs just dropped, grab one", "chill vibes at the shop today, come say hi"],
    "formal": ["We are pleased to announce our quarterly results.", "The board has approved the merger."],
}


def write_posts(folder: Path, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"text": text + extra, "tone": t} for t, texts in POSTS.items() for text in texts for _ in range(3)
    ]
    (folder / "posts.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def refuse_fit(*_: object, **__: object) -> ToneClassifier:
    raise AssertionError("fitted although a cache for the same data exists")


def test_second_start_loads_the_cached_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_posts(tmp_path / "data")
    fitted = load_or_fit(tmp_path / "data", tmp_path / "cache")
    assert fitted is not None
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
    monkeypatch.setattr(ToneClassifier, "fit", classmethod(refuse_fit))
    loaded = load_or_fit(tmp_path / "data", tmp_path / "cache")
    assert loaded is not None
    probe = ["We are pleased to confirm the merger.", "hey, grab a mug"]
    assert loaded.predict(probe) == fitted.predict(probe) == ["formal", "casual"]
    assert loaded.agreement(probe, "formal") == fitted.agreement(probe, "formal")


def test_changed_data_is_fitted_again(tmp_path: Path) -> None:
    write_posts(tmp_path / "data")
    load_or_fit(tmp_path / "data", tmp_path / "cache")
    write_posts(tmp_path / "data", extra=" today")
    assert load_or_fit(tmp_path / "data", tmp_path / "cache") is not None
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 2


def test_a_broken_cache_is_fitted_again_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_posts(tmp_path / "data")
    load_or_fit(tmp_path / "data", tmp_path / "cache")
    [cached] = (tmp_path / "cache").glob("*.pickle")
    cached.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, logger=tone.__name__):
        judge = load_or_fit(tmp_path / "data", tmp_path / "cache")
    assert judge is not None and judge.predict(["The board approved it."]) == ["formal"]
    assert "unreadable" in caplog.text
    assert cached.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_still_gives_a_judge(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_posts(tmp_path / "data")
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger=tone.__name__):
        judge = load_or_fit(tmp_path / "data", blocker)
    assert judge is not None
    assert "not cached" in caplog.text


def test_one_tone_gives_no_judge(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "posts.jsonl").write_text(json.dumps({"text": "hi", "tone": "casual"}) + "\n")
    assert load_or_fit(tmp_path / "data", tmp_path / "cache") is None
