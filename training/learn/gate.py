"""The gate: a candidate replaces the current adapter only if it is better on the brand's own held-out
posts and no guard got worse by more than `learn.tolerance`.

"Better on the brand's posts" is two checks, both required: the held-out posts are likelier (lower
mean per-token NLL), and the drafts' style markers are no further from the brand's rates than the
current adapter's (within the tolerance). A pure function of two score sets, so it is tested
without a model and a reason always names the metric and the numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from training.learn.scoring import GUARDS, AdapterScores


@dataclass(frozen=True)
class Check:
    metric: str
    kind: str  # "brand" or "guard"
    candidate: float
    current: float
    passed: bool
    rule: str

    @property
    def delta(self) -> float:
        return round(self.candidate - self.current, 4)

    def describe(self) -> str:
        return f"{self.metric} {self.candidate:.3f} vs {self.current:.3f} ({self.delta:+.3f}; {self.rule})"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "delta": self.delta}


@dataclass(frozen=True)
class Decision:
    passed: bool
    reason: str
    checks: list[Check]

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


def judge(candidate: AdapterScores, current: AdapterScores, tolerance: float) -> Decision:
    checks = [
        Check("brand_nll", "brand", candidate.nll, current.nll, candidate.nll < current.nll, "must be lower"),
        Check(
            "brand_style_gap",
            "brand",
            candidate.style_gap,
            current.style_gap,
            candidate.style_gap <= current.style_gap + tolerance,
            f"may rise by at most {tolerance}",
        ),
    ]
    for name, higher_is_better in GUARDS.items():
        new, old = candidate.guards[name], current.guards[name]
        worse = old - new if higher_is_better else new - old
        rule = f"may {'fall' if higher_is_better else 'rise'} by at most {tolerance}"
        checks.append(Check(name, "guard", new, old, worse <= tolerance + 1e-9, rule))
    failed = [c for c in checks if not c.passed]
    if failed:
        brand = [c for c in failed if c.kind == "brand"]
        guards = [c for c in failed if c.kind == "guard"]
        parts = []
        if brand:
            parts.append(
                "not better on the brand's held-out posts: " + "; ".join(c.describe() for c in brand)
            )
        if guards:
            parts.append("worse on guard " + "; guard ".join(c.describe() for c in guards))
        return Decision(False, "rejected: " + " | ".join(parts), checks)
    nll, gap = checks[0], checks[1]
    reason = (
        f"better on the brand's held-out posts (NLL {nll.candidate:.3f} vs {nll.current:.3f}, style gap "
        f"{gap.candidate:.3f} vs {gap.current:.3f}); every guard within {tolerance} of {current.label}"
    )
    return Decision(True, reason, checks)
