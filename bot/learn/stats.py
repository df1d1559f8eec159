"""The A/B test's verdict: is the testing adapter version better than the serving one?

A draft *wins* when someone approved it, picked it ("Use this") or rated it up, and nobody rated it
down (bot.store.ab_counts). Each version's win rate comes with a 95% Wilson score interval, and the
decision is a **two-proportion z-test** (pooled standard error, two-sided, alpha 0.05) of the testing
version's win rate against the serving one's, over the drafts both wrote since the testing version
started its test:

- fewer than `MIN_DRAFTS` drafts on either side: **keep testing** (too little to tell);
- z >= 1.96: **promote** the testing version (better, p < 0.05);
- z <= -1.96: **drop** it (worse, p < 0.05);
- otherwise: **keep testing**.

Why this test: both arms are independent Bernoulli samples drawn at once by the same random split
(engine.backends.live), which is what the two-proportion test assumes; it is the textbook A/B test,
so a reader can check it by hand. The counts and the statistics are apart: the store counts,
this module only does arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.brandkit.kit import DEFAULT_BRAND
from bot.brands import BrandRouter
from bot.errors import InvalidOption
from bot.records import Origin
from bot.store import Store
from bot.store.ab_counts import VersionCounts
from bot.tenancy import Tenancy

Decision = Literal["promote", "keep testing", "drop", "no test"]
MIN_DRAFTS = 30  # per version, before the test may decide
Z_CRITICAL = 1.959964  # two-sided, alpha 0.05
TEST_NAME = "two-proportion z-test (pooled, two-sided, alpha 0.05)"


@dataclass(frozen=True)
class VersionStats:
    label: str  # "acme/v3", or "acme (configured adapter)"
    role: Literal["serving", "testing"]
    counts: VersionCounts
    win_rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class AbReport:
    brand: str
    serving: VersionStats
    testing: VersionStats | None
    decision: Decision
    z: float | None
    p_value: float | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "test": TEST_NAME, "min_drafts": MIN_DRAFTS}


def wilson(wins: int, n: int, z: float = Z_CRITICAL) -> tuple[float, float]:
    """The Wilson score interval for a proportion (sound at small n and near 0 or 1)."""
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(wins_a: int, n_a: int, wins_b: int, n_b: int) -> tuple[float, float]:
    """(z, two-sided p) for B's rate minus A's, with the pooled standard error."""
    pooled = (wins_a + wins_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 0.0, 1.0
    z = (wins_b / n_b - wins_a / n_a) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def decide(
    serving: VersionCounts, testing: VersionCounts
) -> tuple[Decision, float | None, float | None, str]:
    if serving.drafts < MIN_DRAFTS or testing.drafts < MIN_DRAFTS:
        need = max(0, MIN_DRAFTS - serving.drafts) + max(0, MIN_DRAFTS - testing.drafts)
        return (
            "keep testing",
            None,
            None,
            f"too few drafts yet: {MIN_DRAFTS} per version needed ({need} to go)",
        )
    z, p = two_proportion_z(serving.won, serving.drafts, testing.won, testing.drafts)
    if z >= Z_CRITICAL:
        return "promote", z, p, f"the testing version wins more often (z = {z:.2f}, p = {p:.3f})"
    if z <= -Z_CRITICAL:
        return "drop", z, p, f"the testing version wins less often (z = {z:.2f}, p = {p:.3f})"
    return "keep testing", z, p, f"no significant difference yet (z = {z:.2f}, p = {p:.3f})"


def _stats(label: str, role: Literal["serving", "testing"], counts: VersionCounts) -> VersionStats:
    low, high = wilson(counts.won, counts.drafts)
    rate = counts.won / counts.drafts if counts.drafts else 0.0
    return VersionStats(label, role, counts, rate, low, high)


def _empty(version: int | None) -> VersionCounts:
    return VersionCounts(version, 0, 0, 0, 0, 0, 0, 0)


async def brand_report(
    store: Store, brand: str, brands: Sequence[str], *, tenants: Sequence[str] | None = None
) -> AbReport:
    """The brand's A/B report from the store (`brands`: every configured brand; `tenants`: whose
    drafts count, None: all of the brand's). Raises InvalidOption for a brand that is not configured."""
    if brand != DEFAULT_BRAND and brand not in brands:
        allowed = [DEFAULT_BRAND, *sorted(brands)]
        raise InvalidOption(
            f"no brand '{brand}'; brands: {', '.join(allowed)}", field="brand", allowed=allowed, value=brand
        )
    promoted, testing = (await store.adapters.serving()).get(brand, (None, None))
    since = testing.decided_at if testing is not None else None
    counts = await store.ab.per_version(
        brand, default_brand=brand == DEFAULT_BRAND, other_brands=brands, tenants=tenants, since=since
    )
    version = promoted.version if promoted is not None else None
    serving = _stats(
        promoted.label if promoted else f"{brand} (configured adapter)",
        "serving",
        counts.get(version, _empty(version)),
    )
    if testing is None:
        return AbReport(brand, serving, None, "no test", None, None, "no version is being tested")
    tested = _stats(testing.label, "testing", counts.get(testing.version, _empty(testing.version)))
    decision, z, p, reason = decide(serving.counts, tested.counts)
    return AbReport(brand, serving, tested, decision, z, p, reason)


async def team_stats(store: Store, router: BrandRouter, tenancy: Tenancy, origin: Origin) -> str:
    """`/postpulse brand stats`: the origin's brand, counted over its own team's drafts only.
    Admins and reviewers only: they decide on the brand's adapters, and a member who saw which
    version leads could tilt the test they take part in."""
    if not (origin.can("admin") or origin.can("reviewer")):
        return "Only the brand's admins and reviewers can see its A/B stats."
    brand = router.brand_for(origin) or DEFAULT_BRAND
    report = await brand_report(store, brand, list(router.brands), tenants=[tenancy.of(origin)])
    return render(report)


def render(report: AbReport) -> str:
    """Plain text for the CLI and chat: one line per version, then the decision and the test."""
    lines = [f"Brand {report.brand}: drafts won (approved, picked or rated up; never rated down)"]
    for s in (report.serving, report.testing):
        if s is None:
            continue
        c = s.counts
        lines.append(
            f"{s.label} ({s.role}): {c.won}/{c.drafts} won = {100 * s.win_rate:.0f}% "
            f"[95% CI {100 * s.ci_low:.0f}-{100 * s.ci_high:.0f}%]; approved {c.approved}, "
            f"picked {c.picked}, edited {c.edited}, rated up {c.rated_up}, down {c.rated_down}"
        )
    if report.testing is None:
        lines.append("Decision: no A/B test running (no testing version).")
    else:
        lines.append(
            f"Decision: {report.decision}: {report.reason}. Test: {TEST_NAME}, {MIN_DRAFTS}+ drafts each."
        )
    return "\n".join(lines)
