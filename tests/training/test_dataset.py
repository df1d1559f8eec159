"""The starter dataset itself: valid, big enough, covering every cell, compliant and not templated;
half its briefs typed the way people type them, every post using only the facts its brief gives and
speaking as the brand (issue 11), and restating every specific its brief gives (issue 18)."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.quality.factguard import invented
from bot.quality.scoring import first_person_singular
from bot.quality.specifics import brief_specifics, check, known_text
from training.dataset import Loaded, compliance_problems, load_file

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "data" / "starter"
PLATFORMS = ("instagram", "x", "facebook", "linkedin")
SHORT = 90  # a one-line brief as people type a slash command
# Briefs that ask for a person's voice ("founder shares…", "agent reflects…"): "I" is right there.
PERSON_BRIEF = re.compile(
    r"\b(founder|owner|agent|partner|coordinator|manager|head of|ceo|chef|director|coach|reflects|shares|"
    r"story|personal)\b",
    re.IGNORECASE,
)


def _split(catalog: Catalog, split: str) -> list[Loaded]:
    files = sorted((STARTER / split).glob("*.jsonl"))
    assert files, f"no files in {STARTER / split}"
    return [item for f in files for item in load_file(f, catalog, strict_limits=False)]


@pytest.fixture(scope="module")
def train(catalog: Catalog) -> list[Loaded]:
    return _split(catalog, "train")


@pytest.fixture(scope="module")
def heldout(catalog: Catalog) -> list[Loaded]:
    return _split(catalog, "heldout")


def test_sizes(train: list[Loaded], heldout: list[Loaded]) -> None:
    assert len(train) + len(heldout) >= 1400, f"{len(train) + len(heldout)} posts; need >= 1400"
    assert len(train) >= 1000, f"{len(train)} training examples; need >= 1000"
    assert len(heldout) >= 200, f"{len(heldout)} held-out examples; need >= 200"


def test_short_briefs(train: list[Loaded], heldout: list[Loaded]) -> None:
    everything = train + heldout
    short = [i for i in everything if len(i.record.prompt) <= SHORT and "\n" not in i.record.prompt]
    assert len(short) >= 0.4 * len(everything), f"{len(short)} of {len(everything)} briefs are one-liners"
    held_short = [i for i in heldout if len(i.record.prompt) <= SHORT]
    assert len(held_short) >= 100, f"the eval needs >= 100 short held-out briefs, has {len(held_short)}"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_posts_use_only_the_briefs_facts(split: str, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    bad = [
        f"{i.where}: {[s.text for s in found]}"
        for i in items
        if (found := invented(i.record.target, [i.record.prompt, i.record.audience]))
    ]
    assert not bad, "invented specifics:\n" + "\n".join(bad[:20])


# Posts that do restate their brief's specifics, but in a form bot.quality.specifics misreads today.
# The test below fails once the checker reads one of them right, so this list can only shrink.
CHECKER_GAPS: dict[str, str] = {
    "train/casual.jsonl:16": "'Café': the name pattern stops at the accented letter ('Fern Street Caf')",
    "train/casual.jsonl:32": "'Café': the name pattern stops at the accented letter",
    "train/empathetic.jsonl:22": "'Café': the name pattern stops at the accented letter",
    "train/inspirational.jsonl:43": "'Café': the name pattern stops at the accented letter",
    "train/luxury.jsonl:19": "'Vallée de Joux': the name pattern stops at the accented letter",
    "train/casual.jsonl:37": "'LPs' is read as the name 'LP', which the post's 'LPs' does not match",
    "train/witty.jsonl:57": "'TVs' is read as the name 'TV', which the post's 'TVs' does not match",
    "train/fomo.jsonl:23": "'SUVs' is read as the names 'Trailhawk SUV' and 'SUV'",
    "train/empathetic.jsonl:40": "'Tumble & Thread's Soft Start': the sentence-initial 'Tumble' is dropped",
    "train/fomo.jsonl:1": "'Launch of Halden Pods Pro': read as the name 'of Halden Pods Pro'",
    "train/fomo.jsonl:52": "'Night Dec 14': the month abbreviation joins the name",
    "train/fomo.jsonl:59": "'San Francisco Nov 6-7': the month abbreviation joins the place",
    "train/fomo.jsonl:72": "'Lending Day Oct 10': the month abbreviation joins the name",
    "train/professional.jsonl:20": "'v5.0 release' is read as the count '0 release'",
    "train/fomo.jsonl:45": "the brief's '11-2' (a time range) contradicts the post's '11am–2pm'",
    "train/fomo.jsonl:65": "two dates of the brief ('Aug 19', 'September') read as contradicting each other",
}


def _rule_breaks(items: list[Loaded]) -> dict[str, str]:
    """Posts that drop or change a specific of their brief, keyed like CHECKER_GAPS."""
    broken = {}
    for item in items:
        brief = item.record.brief()
        found = check(item.record.target, brief_specifics(brief), known_text(brief))
        if found.missing or found.contradicted:
            where = str(Path(item.where).relative_to(STARTER))
            lost = [s.text for s in found.missing] + [f"{g.text} -> {said}" for g, said in found.contradicted]
            broken[where] = f"{where}: {lost}"
    return broken


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_posts_restate_every_specific_of_their_brief(split: str, request: pytest.FixtureRequest) -> None:
    """Issue 18: a post that drops its brief's discount or day teaches the model to drop it too.
    286 of the 1,429 posts broke this before the fix (239 train, 47 held-out)."""
    items: list[Loaded] = request.getfixturevalue(split)
    broken = _rule_breaks(items)
    bad = [line for where, line in broken.items() if where not in CHECKER_GAPS]
    assert not bad, "posts that drop or change a specific of their brief:\n" + "\n".join(bad[:20])
    mine = {where for where in CHECKER_GAPS if where.startswith(split + "/")}
    fixed = sorted(mine - broken.keys())
    assert not fixed, f"the checker now reads these right; remove them from CHECKER_GAPS: {fixed}"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_brand_posts_speak_as_we(split: str, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    bad = [
        i.where
        for i in items
        if first_person_singular(i.record.target) and not PERSON_BRIEF.search(i.record.prompt)
    ]
    assert not bad, f"first person singular in a brand post: {bad[:20]}"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_every_tone_platform_cell(split: str, catalog: Catalog, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    cells = Counter((i.record.tone, i.record.platform) for i in items)
    missing = [f"{t}/{p}" for t in catalog.tones for p in PLATFORMS if cells[(t, p)] == 0]
    assert not missing, f"{split}: no examples for {', '.join(missing)}"


def test_industries(train: list[Loaded]) -> None:
    industries = {i.record.industry for i in train if i.record.industry}
    assert len(industries) >= 10, f"only {len(industries)} industries: {sorted(industries)}"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_limits_and_hashtag_norms(split: str, catalog: Catalog, request: pytest.FixtureRequest) -> None:
    items: list[Loaded] = request.getfixturevalue(split)
    bad = [f"{i.where}: {p}" for i in items for p in compliance_problems(i.record, catalog)]
    assert not bad, "\n".join(bad[:20])


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = _normalised(text).split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _near_duplicates(items: list[Loaded]) -> list[str]:
    found = []
    seen: dict[str, Loaded] = {}
    for item in items:
        key = _normalised(item.record.target)
        if key in seen:
            found.append(f"{item.where} repeats {seen[key].where}")
        seen.setdefault(key, item)
    shingles = [(_shingles(i.record.target), i) for i in items]
    for (a, ia), (b, ib) in combinations(shingles, 2):
        if a and b and len(a & b) / len(a | b) > 0.5:
            found.append(f"{ia.where} ~ {ib.where} (5-gram Jaccard {len(a & b) / len(a | b):.2f})")
    return found


def test_no_near_duplicates(train: list[Loaded], heldout: list[Loaded]) -> None:
    dupes = _near_duplicates(train + heldout)
    assert not dupes, "\n".join(dupes[:20])


def test_no_train_heldout_overlap(train: list[Loaded], heldout: list[Loaded]) -> None:
    train_texts = {_normalised(i.record.target) for i in train}
    train_prompts = {_normalised(i.record.prompt) for i in train}
    leaks = [
        i.where
        for i in heldout
        if _normalised(i.record.target) in train_texts or _normalised(i.record.prompt) in train_prompts
    ]
    assert not leaks, f"held-out examples also in train: {leaks[:20]}"
