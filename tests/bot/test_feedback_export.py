"""`postpulse feedback export`: ratings and picks in a real store -> JSONL that the training dataset
loader accepts (SFT records from approved variants; approved-vs-rejected and chosen-vs-passed-over
preference pairs)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from adapters.cli import main
from bot.catalog import Catalog
from bot.records import Origin, StoredDraft
from bot.store import Store, database_url, open_store
from tests.bot.store.support import make_draft
from training.dataset import load_file

U1, U2 = Origin("slack", "U1", "T1", "C1"), Origin("discord", "U2", "G1", "C1")


def _texts(draft: StoredDraft, *texts: str) -> StoredDraft:
    posts = [
        dataclasses.replace(p, text=t, character_count=len(t))
        for p, t in zip(draft.variants, texts, strict=True)
    ]
    return dataclasses.replace(draft, variants=posts)


async def _fill(store: Store) -> dict[str, str]:
    d1 = _texts(make_draft(2), "Spring sale: 20% off all shoes this week.", "BUY SHOES NOW NOW NOW")
    d2 = _texts(make_draft(1), "Shoes. Sale. Whatever.")  # the same brief again (a regenerate)
    d3 = _texts(
        make_draft(3, prompt="Our new trail runner is here"),
        "Meet the Ridge: grip for every trail.",
        "New shoe out.",
        "Trails are calling, and the Ridge answers. Try it this weekend.",
    )
    for draft in (d1, d2, d3):
        await store.drafts.add(draft)
    await store.feedback.add_rating(d1.id, 0, "up", U1)
    await store.feedback.add_rating(d1.id, 1, "up", U1)
    await store.feedback.add_rating(d1.id, 1, "down", U1)  # U1 changed her mind: down counts
    await store.feedback.add_rating(d1.id, 1, "down", U2)
    await store.feedback.add_rating(d2.id, 0, "down", U1)
    await store.feedback.add_rating(d3.id, 0, "up", U2)  # approved, so the pick says nothing against it
    await store.feedback.add_choice(d3.id, 2, U1)
    return {"d1": d1.id, "d2": d2.id, "d3": d3.id}


@pytest.fixture
def config_file(tmp_config_dir: Path) -> Path:
    data = yaml.safe_load((tmp_config_dir / "default.yaml").read_text())
    data["store"] = {"path": str(tmp_config_dir / "drafts.db")}
    path = tmp_config_dir / "feedback.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def _fill_file(path: Path) -> dict[str, str]:
    store = await open_store(database_url(None, str(path)))
    try:
        return await _fill(store)
    finally:
        await store.close()


def test_export_sft_and_dpo_load_with_the_dataset_loader(
    config_file: Path, tmp_path: Path, catalog: Catalog
) -> None:
    """Sync on purpose: the CLI runs its own event loop, as `postpulse feedback export` does."""
    ids = asyncio.run(_fill_file(config_file.parent / "drafts.db"))
    sft_out, dpo_out = tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl"
    assert (
        main(["feedback", "export", "--format", "sft", "--out", str(sft_out), "--config", str(config_file)])
        == 0
    )
    assert (
        main(["feedback", "export", "--format", "dpo", "--out", str(dpo_out), "--config", str(config_file)])
        == 0
    )

    sft = [loaded.record for loaded in load_file(sft_out, catalog)]
    assert sorted(r.text or "" for r in sft) == [
        "Meet the Ridge: grip for every trail.",
        "Spring sale: 20% off all shoes this week.",
    ]
    assert all(r.platform == "x" and r.tone == "casual" and r.max_length == 60 for r in sft)

    pairs = [loaded.record for loaded in load_file(dpo_out, catalog)]
    assert all(r.is_preference for r in pairs)
    got = sorted((r.chosen, r.rejected) for r in pairs)
    assert got == sorted(
        [
            ("Spring sale: 20% off all shoes this week.", "BUY SHOES NOW NOW NOW"),  # approved vs rejected
            ("Spring sale: 20% off all shoes this week.", "Shoes. Sale. Whatever."),  # across two drafts
            ("Trails are calling, and the Ridge answers. Try it this weekend.", "New shoe out."),  # the pick
        ]
    )
    pick = next(r for r in pairs if r.rejected == "New shoe out.")
    assert (
        pick.prompt == "Our new trail runner is here"
        and pick.source == f"feedback:{ids['d3']}#2>{ids['d3']}#1"
    )


def test_since_and_errors(config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "later.jsonl"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    args = ["feedback", "export", "--format", "sft", "--since", tomorrow, "--out", str(out)]
    assert main([*args, "--config", str(config_file)]) == 0
    assert out.read_text() == "" and "wrote 0 SFT records" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["feedback", "export", "--format", "sft", "--since", "last tuesday", "--out", str(out)])
    assert exc.value.code == 2 and "--since wants a date" in capsys.readouterr().err
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert (
        main(
            [
                "feedback",
                "export",
                "--format",
                "dpo",
                "--out",
                str(blocked / "x.jsonl"),
                "--config",
                str(config_file),
            ]
        )
        == 2
    )
    assert "cannot write" in capsys.readouterr().err
