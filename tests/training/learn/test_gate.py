"""The gate and the style markers, without a model: which metric fails, by how much, and why."""

from __future__ import annotations

from dataclasses import replace

from bot.brief import Brief
from bot.catalog import Catalog
from training.learn.gate import judge
from training.learn.scoring import GUARDS, AdapterScores, guard_figures
from training.learn.style import StyleRates, closing, has_sign_off, rates, sign_off, without_sign_off

GOOD_GUARDS = {name: (1.0 if higher else 0.0) for name, higher in GUARDS.items()}


def scores(label: str, nll: float, gap: float, **guards: float) -> AdapterScores:
    return AdapterScores(
        label=label,
        adapter=None,
        nll=nll,
        style=StyleRates(sign_off=None, hashtags=0.0, emoji=0.0),
        style_gap=gap,
        guards=GOOD_GUARDS | guards,
        drafts=8,
        seconds=1.0,
    )


CURRENT = scores("current (shipped)", nll=2.0, gap=0.5, invented=0.125)


def test_better_on_the_brand_and_no_guard_worse_passes() -> None:
    decision = judge(scores("candidate", 1.5, 0.1, invented=0.125), CURRENT, 0.02)
    assert decision.passed and decision.failed() == []
    assert decision.reason.startswith("better on the brand's held-out posts (NLL 1.500 vs 2.000")
    assert "every guard within 0.02 of current (shipped)" in decision.reason


def test_a_worse_guard_is_named_with_its_numbers() -> None:
    decision = judge(scores("candidate", 1.5, 0.1, invented=0.75, first_person=0.01), CURRENT, 0.02)
    assert not decision.passed
    assert [c.metric for c in decision.failed()] == ["invented"]  # 0.01 worse is within the tolerance
    assert "worse on guard invented 0.750 vs 0.125 (+0.625; may rise by at most 0.02)" in decision.reason


def test_not_better_on_the_brand_fails_even_with_clean_guards() -> None:
    decision = judge(scores("candidate", 2.1, 0.6), CURRENT, 0.02)
    assert [c.metric for c in decision.failed()] == ["brand_nll", "brand_style_gap"]
    assert "not better on the brand's held-out posts: brand_nll 2.100 vs 2.000 (+0.100; must be lower)" in (
        decision.reason
    )
    fewer_kept = judge(scores("candidate", 1.5, 0.1, specifics_kept=0.9, invented=0.125), CURRENT, 0.02)
    assert [c.metric for c in fewer_kept.failed()] == ["specifics_kept"]  # higher is better: a fall fails
    assert "may fall by at most 0.02" in fewer_kept.reason


def test_sign_off_and_rates() -> None:
    posts = [
        "Big news today. — Team Acme",
        "We open at 9! #Coffee\n— Team Acme",
        "Fresh bread.\n\nTeam Acme",
        "Hi.",
    ]
    assert closing(posts[1]) == "Team Acme"
    assert sign_off(posts) == "Team Acme"
    assert sign_off(["One post.", "Another post.", "A third."]) is None  # nothing shared: no sign-off
    assert rates(posts, "Team Acme") == StyleRates(sign_off=0.75, hashtags=0.25, emoji=0.0)
    assert has_sign_off("Rain jackets are back - team acme", "Team Acme")
    assert not has_sign_off("Team Acme says hello to a long post " + "and more words " * 20, "Team Acme")
    # the sign-off is style, not a cut sentence: the ending check reads the body before it
    assert without_sign_off("We open at 9! — Team Acme\n\n#Coffee", "Team Acme") == "We open at 9!\n\n#Coffee"
    assert without_sign_off("No sign-off here", "Team Acme") == "No sign-off here"
    target = StyleRates(sign_off=1.0, hashtags=0.0, emoji=0.5)
    assert replace(target, sign_off=0.0).distance(target) == 1.0 / 3


def test_the_guards_read_the_body_before_the_sign_off(catalog: Catalog) -> None:
    """A brand's sign-off names the brand and has no full stop: neither an invented name nor a cut."""
    brief = Brief(prompt="Rain jackets are back in stock", platform="x", tone="casual", max_length=60)
    draft = "Our rain jackets are back in stock. Come by and try them on. — Team Acme"
    signed = guard_figures([draft], [brief], catalog, "Team Acme")
    unsigned = guard_figures([draft], [brief], catalog, None)
    assert (signed["invented_names"], signed["fragments"]) == (0.0, 0.0)
    assert (unsigned["invented_names"], unsigned["fragments"]) == (1.0, 1.0)
