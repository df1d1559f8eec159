"""`postpulse feedback export` with reviews: approved texts become SFT records, every edit is
preferred to the text it replaced, a revision sent back with a request for changes is the rejected
side of a pair; the output loads with the training dataset loader."""

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
from bot.review import Reviews
from bot.store import database_url, open_store
from bot.tenancy import Tenancy
from tests.bot.store.support import make_draft
from training.dataset import Record, load_file
from training.feedback import export_records

AUTHOR = Origin("slack", "U1", "T1", "C1", "alice")  # make_draft's origin
REVIEWER = Origin("slack", "U9", "T1", "C1", "rita", roles=frozenset({"reviewer"}))


def _texts(draft: StoredDraft, *texts: str) -> StoredDraft:
    posts = [
        dataclasses.replace(p, text=t, character_count=len(t))
        for p, t in zip(draft.variants, texts, strict=True)
    ]
    return dataclasses.replace(draft, variants=posts)


async def _fill(path: Path) -> dict[str, str]:
    store = await open_store(database_url(None, str(path)))
    reviews = Reviews(store, Tenancy())
    try:
        # d1: edited by a reviewer, sent back, fixed by the author, approved.
        d1 = _texts(make_draft(1), "Shoes on sale. #Sale")
        # d2: variant 0 edited and sent back; variant 1 (the model's own text) approved instead.
        d2 = _texts(
            make_draft(2, prompt="Our new trail runner is here"),
            "New shoe out. #Run",
            "Meet the Ridge. #Trail",
        )
        # d3: edited, never reviewed.
        d3 = _texts(make_draft(1, prompt="Free coffee Friday"), "Coffee. Free. Friday. #Coffee")
        for draft in (d1, d2, d3):
            await store.drafts.add(draft)
        await reviews.submit(AUTHOR, d1.id, 0)
        await reviews.edit(REVIEWER, d1.id, 0, "Spring sale: 20% off all shoes. #Sale")
        await reviews.request_changes(REVIEWER, d1.id, "mention free returns")
        await reviews.edit(AUTHOR, d1.id, 0, "Spring sale: 20% off all shoes, free returns. #Sale")
        await reviews.submit(AUTHOR, d1.id, 0)
        await reviews.approve(REVIEWER, d1.id)
        await reviews.submit(AUTHOR, d2.id, 0)
        await reviews.edit(AUTHOR, d2.id, 0, "Our new trail shoe is out. #Run")
        await reviews.request_changes(REVIEWER, d2.id, "too flat")
        await reviews.submit(AUTHOR, d2.id, 1)
        await reviews.approve(REVIEWER, d2.id, variant=1)
        await reviews.edit(AUTHOR, d3.id, 0, "Free coffee all day Friday, on us. #Coffee")
        return {"d1": d1.id, "d2": d2.id, "d3": d3.id}
    finally:
        await store.close()


@pytest.fixture
def config_file(tmp_config_dir: Path) -> Path:
    data = yaml.safe_load((tmp_config_dir / "default.yaml").read_text())
    data["store"] = {"path": str(tmp_config_dir / "drafts.db")}
    path = tmp_config_dir / "feedback.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _export(config_file: Path, fmt: str, out: Path, *more: str) -> None:
    assert (
        main(["feedback", "export", "--format", fmt, "--out", str(out), "--config", str(config_file), *more])
        == 0
    )


def test_reviews_export_as_sft_and_edit_pairs_that_load(
    config_file: Path, tmp_path: Path, catalog: Catalog
) -> None:
    """Sync on purpose: the CLI runs its own event loop, as `postpulse feedback export` does."""
    ids = asyncio.run(_fill(config_file.parent / "drafts.db"))
    sft_out, dpo_out = tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl"
    _export(config_file, "sft", sft_out)
    _export(config_file, "dpo", dpo_out)

    sft = [loaded.record for loaded in load_file(sft_out, catalog)]
    assert sorted((r.text, r.source) for r in sft) == sorted(
        [
            ("Spring sale: 20% off all shoes, free returns. #Sale", f"review:{ids['d1']}#0r2"),
            ("Meet the Ridge. #Trail", f"review:{ids['d2']}#1r0"),
        ]
    )
    assert all(r.platform == "x" and r.tone == "casual" and r.max_length == 60 for r in sft)

    pairs = [loaded.record for loaded in load_file(dpo_out, catalog)]
    assert all(r.is_preference for r in pairs)
    got = sorted((r.source or "", r.chosen or "", r.rejected or "") for r in pairs)
    d1, d2, d3 = ids["d1"], ids["d2"], ids["d3"]
    assert got == sorted(
        [
            # each edit over the text it replaced
            (
                f"review-edit:{d1}#0r1>{d1}#0r0",
                "Spring sale: 20% off all shoes. #Sale",
                "Shoes on sale. #Sale",
            ),
            (
                f"review-edit:{d1}#0r2>{d1}#0r1",
                "Spring sale: 20% off all shoes, free returns. #Sale",
                "Spring sale: 20% off all shoes. #Sale",
            ),
            (f"review-edit:{d2}#0r1>{d2}#0r0", "Our new trail shoe is out. #Run", "New shoe out. #Run"),
            (
                f"review-edit:{d3}#0r1>{d3}#0r0",
                "Free coffee all day Friday, on us. #Coffee",
                "Coffee. Free. Friday. #Coffee",
            ),
            # sent back with a request for changes: rejected against what was approved. (d1's request
            # is already the pair of the edit that answered it, so it is not written twice.)
            (
                f"review-changes:{d2}#1r0>{d2}#0r1",
                "Meet the Ridge. #Trail",
                "Our new trail shoe is out. #Run",
            ),
        ]
    )
    prompts = {r.source: r.prompt for r in pairs}
    assert prompts[f"review-edit:{d3}#0r1>{d3}#0r0"] == "Free coffee Friday"


def test_since_leaves_older_reviews_out(config_file: Path, tmp_path: Path) -> None:
    asyncio.run(_fill(config_file.parent / "drafts.db"))
    out = tmp_path / "later.jsonl"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    _export(config_file, "dpo", out, "--since", tomorrow)
    assert out.read_text() == ""


def test_brand_examples_join_the_sft_records() -> None:
    """The place brand-kit example posts come in: SFT records of their own source."""
    example = Record(
        prompt="Spring sale",
        platform="x",
        tone="casual",
        text="Our voice. #Sale",
        source="brand-example:acme",
    )
    assert export_records([], "sft", examples=[example]) == [example]
    assert export_records([], "dpo", examples=[example]) == []
