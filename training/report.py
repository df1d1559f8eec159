"""The eval report: markdown with a base-vs-adapter table, eval.json, and a PNG bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROWS = [
    ("platform_limit", "Platform-limit compliance (raw model text)", "{:.1%}", "higher"),
    ("hashtag_norm", "Hashtag-norm compliance (raw model text)", "{:.1%}", "higher"),
    ("tone_accuracy", "Tone accuracy (TF-IDF + LR judge)", "{:.1%}", "higher"),
    ("distinct_1", "distinct-1 across variants", "{:.3f}", "higher"),
    ("distinct_2", "distinct-2 across variants", "{:.3f}", "higher"),
    ("repetition", "Repetition rate (repeated word 4-grams)", "{:.3f}", "lower"),
    ("perplexity", "Perplexity of held-out human posts", "{:.2f}", "lower"),
]


def markdown(summary: dict[str, Any]) -> str:
    models = summary["models"]
    head = "| Metric | " + " | ".join(m["label"] for m in models) + " | better |"
    sep = "|---" * (len(models) + 2) + "|"
    lines = [
        "# PostPulse evaluation: held-out split",
        "",
        f"{summary['heldout_briefs']} held-out briefs × {summary['variants']} variants per model "
        f"(temperature {summary['settings']['temperature']}, top-p {summary['settings']['top_p']}, "
        f"max {summary['settings']['max_new_tokens']} new tokens). Drafts are scored before `finalize`, "
        "which would enforce limits and hashtags on every served draft anyway.",
        "",
        head,
        sep,
    ]
    for key, title, fmt, better in ROWS:
        lines.append(f"| {title} | " + " | ".join(fmt.format(m[key]) for m in models) + f" | {better} |")
    lines.append(
        "| Seconds (load + perplexity + generation) | "
        + " | ".join(f"{m['seconds']:.0f}" for m in models)
        + " | |"
    )
    lines += [
        "",
        f"Tone judge's own accuracy on the held-out human posts: "
        f"**{summary['tone_classifier_heldout_accuracy_on_human_posts']:.1%}** "
        "(trained on the training split; chance is 1/8).",
        "",
        "![metrics](eval_chart.png)",
        "",
    ]
    meta = summary.get("adapter_meta") or {}
    if meta:
        m = meta.get("metrics", {})
        lines += [
            "## Adapter",
            "",
            f"- base: {meta['base_model']['name']}; backend {meta.get('backend')}, {meta.get('precision')}, "
            f"optimizer {meta.get('optimizer')}",
            f"- dataset sha256 {meta['dataset']['hash'][:16]}…, {meta['dataset']['train_records']} records",
            f"- {m.get('steps')} steps, {m.get('epochs')} epochs, "
            f"loss {m.get('first_loss')} → {m.get('last_loss')}, "
            f"{m.get('seconds_per_step')} s/step, {m.get('train_seconds')} s total",
            "",
        ]
    lines += ["## Sample drafts (first variant, raw)", ""]
    for model in models:
        lines.append(f"### {model['label']}")
        for s in model["samples"][:4]:
            draft = s["draft"].replace("\n", " ")[:400]
            lines.append(f"- *{s['tone']} / {s['platform']}* — {s['prompt'][:90]}…  \n  > {draft}")
        lines.append("")
    return "\n".join(lines)


def chart(summary: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = summary["models"]
    keys = [k for k, *_ in ROWS if k != "perplexity"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), dpi=110, gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / max(len(models), 1)
    for i, m in enumerate(models):
        ax.bar([x + i * width for x in range(len(keys))], [m[k] for k in keys], width, label=m["label"])
        ax2.bar([i], [m["perplexity"]], 0.6, label=m["label"])
    ax.set_xticks([x + width * (len(models) - 1) / 2 for x in range(len(keys))])
    ax.set_xticklabels(["limit", "hashtags", "tone acc.", "distinct-1", "distinct-2", "repetition ↓"])
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Held-out drafts")
    ax2.set_xticks(range(len(models)))
    ax2.set_xticklabels([m["label"].split(" ")[0] for m in models])
    ax2.set_title("Perplexity ↓")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def write_report(summary: dict[str, Any], report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "eval.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    chart(summary, report_dir / "eval_chart.png")
    path = report_dir / "eval_report.md"
    path.write_text(markdown(summary))
    return path
