"""The gate's figures as a table: in `--json`, in eval.json, on the model card and in the terminal."""

from __future__ import annotations

from typing import Any

from training.learn.gate import Decision

TITLES = {
    "brand_nll": "Held-out brand posts: NLL per token (lower is better)",
    "brand_style_gap": "Style gap to the brand: sign-off, hashtags, emoji (lower is better)",
    "specifics_kept": "Guard: specifics kept",
    "invented": "Guard: drafts inventing a number, date or handle",
    "invented_names": "Guard: drafts inventing a name",
    "first_person": "Guard: first person singular",
    "fragments": "Guard: cut endings",
    "within_limit": "Guard: within the platform limit",
}


def metrics_table(decision: Decision) -> list[dict[str, Any]]:
    return [c.as_dict() for c in decision.checks]


def text_table(rows: list[dict[str, Any]], candidate: str = "candidate", current: str = "current") -> str:
    """Fixed-width lines for the terminal."""
    width = max(len(r["metric"]) for r in rows) if rows else 10
    lines = [f"{'metric':<{width}}  {candidate:>10}  {current:>10}  {'delta':>8}  ok"]
    for r in rows:
        mark = "yes" if r["passed"] else "NO"
        figures = f"{r['candidate']:>10.3f}  {r['current']:>10.3f}  {r['delta']:>+8.3f}"
        lines.append(f"{r['metric']:<{width}}  {figures}  {mark}")
    return "\n".join(lines)


def eval_markdown(brand: str, label: str, parent: str, report: dict[str, Any]) -> str:
    """The model card's learning-loop section."""
    cand, cur = report["candidate"], report["current"]
    rates = report["brand_rates"]
    phrase = rates.get("sign_off_phrase")
    lines = [
        f"## Learning loop: {label}",
        "",
        f"Trained for brand `{brand}` from {parent} on {report['data'].get('sft', 0)} approved post(s) and "
        f"{report['data'].get('pairs', 0)} preference pair(s); judged against it on "
        f"{report['data'].get('held_out', 0)} held-out approved post(s) and {cand['drafts']} drafts each.",
        f"Gate: **{'passed' if report['passed'] else 'rejected'}**: {report['reason']}",
        "",
        "| metric | candidate | current | rule |",
        "|---|---|---|---|",
    ]
    for row in report["checks"]:
        title = TITLES.get(row["metric"], row["metric"])
        lines.append(f"| {title} | {row['candidate']:.3f} | {row['current']:.3f} | {row['rule']} |")
    style = "| style on the held-out briefs' drafts | " + " | ".join(
        f"sign-off {s['style']['sign_off'] if s['style']['sign_off'] is not None else '-'}, "
        f"hashtags {s['style']['hashtags']:.2f}, emoji {s['style']['emoji']:.2f}"
        for s in (cand, cur)
    )
    lines.append(
        style
        + " | the brand's own: "
        + (f"sign-off '{phrase}' {rates['sign_off']:.2f}, " if phrase else "no sign-off, ")
        + f"hashtags {rates['hashtags']:.2f}, emoji {rates['emoji']:.2f} |"
    )
    return "\n".join(lines)
