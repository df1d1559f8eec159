"""Best-of-n keeps the brief's specifics as a requirement, the fact guard drops contradictions and
invented names, and the repair puts back what every candidate dropped (issue 18 item 2)."""

from __future__ import annotations

from bot.brief import Brief
from bot.catalog import Catalog
from bot.postprocess import finalize
from bot.quality.bestof import pick, repaired, score_outputs, total_key
from bot.quality.factguard import guard
from bot.quality.repair import restore, restoring_sentence
from bot.quality.specifics import check, extract
from engine.types import SequenceOutput

FLASH = "48-hour flash sale: 40% off all running shoes"


def _out(i: int, text: str) -> SequenceOutput:
    return SequenceOutput(index=i, text=text, token_ids=[], finish_reason="stop")


def test_the_guard_drops_contradictions_and_invented_names() -> None:
    text = "Four days' worth of deals on running shoes. Lace up in Tokyo. Grab a pair today."
    out = guard(text, [FLASH], known=FLASH)
    assert out.text == "Grab a pair today."
    assert set(out.removed) == {"Four days", "Tokyo"}
    assert guard(text, [FLASH]).text == text  # without `known`: the digits-only guard as before


def test_a_candidate_keeping_every_specific_beats_a_higher_total(catalog: Catalog) -> None:
    brief = Brief(prompt=FLASH, platform="instagram", tone="fomo", industry="retail")
    polished = (
        "Our flash sale is on, and every hour counts! Running shoes fly off the shelves: light, springy "
        "and built for your daily miles. Find your next pair in store today.\n\n#RunningShoes #FlashSale"
    )
    plain = "48-hour flash sale: 40% off all running shoes. Ends soon!\n\n#RunningShoes"
    cands = score_outputs(brief, [_out(0, polished), _out(1, plain)], catalog, None)
    assert pick(cands, 1, key=total_key)[0] is cands[0]  # the weighted total alone picks the polished one
    best = pick(cands, 1)[0]
    assert best.text.startswith("48-hour flash sale")
    assert best.facts is not None and best.facts.ok
    loser = cands[0].item.score
    assert loser is not None and loser["missing"] == ["48-hour", "40%"] and loser["specifics_kept"] == "0/2"


def test_when_none_keeps_all_the_one_keeping_most_wins_and_is_repaired(catalog: Catalog) -> None:
    brief = Brief(prompt=FLASH, platform="x", tone="fomo", industry="retail")
    none_kept = "New running shoes just landed. Lace up and go!\n\n#RunningShoes"
    one_kept = "Take 40% off running shoes. Lace up and go!\n\n#RunningShoes"
    best = pick(score_outputs(brief, [_out(0, none_kept), _out(1, one_kept)], catalog, None), 1)[0]
    assert best.text.startswith("Take 40% off")
    fixed = repaired(brief, best, catalog)
    assert fixed.facts is not None and fixed.facts.ok
    assert fixed.text.startswith("Take 40% off running shoes. 48-hour flash sale: 40% off all running shoes.")
    assert len(fixed.text) <= catalog.platforms["x"].char_limit
    score = fixed.item.score
    assert score is not None
    assert score["missing_before_repair"] == ["48-hour"] and score["restored"] == ["48-hour"]
    assert score["missing"] == [] and score["specifics_kept"] == "2/2"


def test_restore_quotes_the_brief_and_removes_what_it_contradicted() -> None:
    spec = extract(FLASH)
    draft = "Run faster. Four days of deals on every pair.\nSee you there!\n\n#RunningShoes"
    facts = check(draft, spec, FLASH)
    assert restore(draft, [FLASH], facts) == (
        "Run faster.\n48-hour flash sale: 40% off all running shoes.\nSee you there!\n\n#RunningShoes"
    )
    assert restore("48-hour sale, 40% off.", [FLASH], check("48-hour sale, 40% off.", spec, FLASH)) is None


def test_a_long_brief_gives_back_only_its_clauses() -> None:
    brief = (
        "Inkwell Writing Club runs free summer creative writing workshops for teens at the main library, "
        "every Tuesday afternoon, starting July 8; bring a notebook"
    )
    missing = [s for s in extract(brief) if s.value in ("tuesday", "july 8")]
    assert restoring_sentence([brief], missing) == "Every Tuesday afternoon, starting July 8."
    assert (
        restoring_sentence(["post about our new latte, $4.50 pls"], extract("$4.50"))
        == "Our new latte, $4.50."
    )


def test_finalize_passes_the_brief_through_untouched(catalog: Catalog) -> None:
    post = finalize(FLASH + ".", "x", catalog, topic=FLASH, sources=[FLASH], industry="retail")
    assert check(post.text, extract(FLASH), FLASH).ok


def test_restored_clauses_read_as_sentences() -> None:
    """A long field's clauses that ended sentences stay sentences: no "March 14., The new model"."""
    page = (
        "Acme today released the Widget 3. It costs $149 and ships on March 14. The new model is 30% "
        "lighter than the Widget 2 and makes 40 cups on one charge, a big step for the whole range."
    )
    text = restoring_sentence([page], extract(page))
    assert "., " not in text
    assert "It costs $149 and ships on March 14. The new model is 30% lighter" in text


def test_a_link_brief_is_quoted_by_its_points_not_its_header_lines() -> None:
    brief = (
        "Share this article: Acme launches the Widget 3\nKey points:\n"
        "- Acme today released the Widget 3, a pocket espresso maker that heats water in 90 seconds.\n"
        "- It costs $149 and ships on March 14."
    )
    missing = [s for s in extract(brief) if s.text in ("$149", "March 14")]
    sentence = restoring_sentence([brief], missing)
    assert sentence == "It costs $149 and ships on March 14."
    assert "Key points" not in sentence and "- " not in sentence
