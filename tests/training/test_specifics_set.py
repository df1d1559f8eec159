"""The held-out specifics set (issue 18): one-line briefs that validate, each stating specifics, the
issue's examples among them; and the eval's per-draft score."""

from __future__ import annotations

from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.quality.specifics import brief_specifics
from training.metrics import specifics_score
from training.specifics_eval import SPECIFICS_FILE, load_briefs


def test_the_set_is_one_line_briefs_with_specifics(catalog: Catalog, app_config: AppConfig) -> None:
    briefs = load_briefs(SPECIFICS_FILE, catalog, app_config, seed=1, limit=None)
    assert len(briefs) >= 40
    assert all(len(b.prompt) <= 90 for b in briefs)
    assert all(brief_specifics(b) for b in briefs), [b.prompt for b in briefs if not brief_specifics(b)]
    prompts = {b.prompt for b in briefs}
    for example in (
        "48-hour flash sale: 40% off all running shoes",
        "Open house this Saturday 1-4pm for the downtown loft",
        "Our mortgage rates just dropped to 5.9 percent",
    ):
        assert example in prompts
    assert len({b.seed for b in briefs}) == len(briefs)


def test_specifics_score_counts_what_a_draft_does(catalog: Catalog) -> None:
    brief = Brief(prompt="48-hour flash sale: 40% off all running shoes", platform="x", industry="retail")
    good = specifics_score("48 hours only: 40% off running shoes.\n\n#RunningShoes", brief, catalog)
    assert (good.kept, good.total, good.contradicted, good.invented_names, good.bad_tags) == (2, 2, 0, (), ())
    assert good.all_kept
    bad = specifics_score("Four days of deals in Tokyo!\n## Sale\n#OrganicShoplifts", brief, catalog)
    assert (bad.kept, bad.contradicted, bad.invented_names) == (0, 1, ("Tokyo",))
    assert bad.bad_tags == ("#OrganicShoplifts", "markup") and not bad.all_kept
