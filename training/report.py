"""The eval report: markdown with a base-vs-adapter table, eval.json, and a PNG bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROWS = [
    ("specifics_kept", "Brief's specifics kept (delivered, pooled)", "{:.1%}", "higher"),
    ("all_specifics_kept", "Drafts keeping every specific (delivered)", "{:.1%}", "higher"),
    ("contradicted", "Drafts contradicting a specific (delivered)", "{:.1%}", "lower"),
    ("invented_names", "Drafts inventing a name (delivered)", "{:.1%}", "lower"),
    ("bad_hashtags", "Drafts with a tag outside the rule or raw markup (delivered)", "{:.1%}", "lower"),
    ("key_terms", "Key-term coverage (delivered draft)", "{:.1%}", "higher"),
    ("key_terms_raw", "Key-term coverage (raw model text)", "{:.1%}", "higher"),
    ("invented", "Drafts with invented specifics (delivered)", "{:.1%}", "lower"),
    ("invented_raw", "Drafts with invented specifics (raw)", "{:.1%}", "lower"),
    ("first_person", "First person singular (delivered)", "{:.1%}", "lower"),
    ("first_person_raw", "First person singular (raw)", "{:.1%}", "lower"),
    ("fragments", "Cut fragments (delivered)", "{:.1%}", "lower"),
    ("fragments_raw", "Cut fragments (raw)", "{:.1%}", "lower"),
    ("hashtag_valid", "Valid hashtag lines (delivered)", "{:.1%}", "higher"),
    ("hashtag_valid_raw", "Valid hashtag lines (raw)", "{:.1%}", "higher"),
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
        f"{summary['heldout_briefs']} held-out "
        f"{'short (≤ 90 characters) ' if summary.get('short_briefs_only') else ''}briefs × "
        f"{summary['variants']} variants per model "
        f"(temperature {summary['settings']['temperature']}, top-p {summary['settings']['top_p']}, "
        f"max {summary['settings']['max_new_tokens']} new tokens). Drafts are scored before `finalize`, "
        "which would enforce limits and hashtags on every served draft anyway; the quality rows also "
        "score the delivered draft (after `finalize`: fact guard, brand voice, hashtag lines, endings). A "
        "best-of-n row re-ranks the same model's samples (n candidates per variant) with bot.quality.",
        "",
        head,
        sep,
    ]
    for key, title, fmt, better in ROWS:
        if any(key not in m for m in models):  # a summary from before the metric existed
            continue
        lines.append(f"| {title} | " + " | ".join(fmt.format(m[key]) for m in models) + f" | {better} |")
    lines.append(
        "| Prompt format, mean prompt tokens | "
        + " | ".join(f"{m.get('prompt_format', 'full')}, {m.get('prompt_tokens', 0):.0f}" for m in models)
        + " | |"
    )
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
            f"- dataset sha256 {meta['dataset']['hash'][:16]}…, "
            f"{meta['dataset'].get('train_records')} records",
            f"- {m.get('steps')} steps, {m.get('epochs')} epochs, "
            f"loss {m.get('first_loss')} → {m.get('last_loss')}, "
            f"{m.get('seconds_per_step')} s/step, {m.get('train_seconds')} s total",
        ]
        if dpo := meta.get("dpo_stage"):  # an SFT adapter continued with DPO (training/selfplay.py)
            d = dpo.get("metrics", {})
            lines.append(
                f"- then DPO: {d.get('steps')} steps on {dpo['dataset'].get('pairs')} pairs, "
                f"loss {d.get('first_loss')} → {d.get('last_loss')}, {d.get('train_seconds')} s"
            )
        lines.append("")
    lines += ["## Sample drafts (delivered)", ""]
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
    wanted = {
        "key_terms": "key terms",
        "invented": "invented ↓",
        "first_person": "1st person ↓",
        "fragments": "fragments ↓",
        "tone_accuracy": "tone acc.",
        "hashtag_valid": "tag lines",
    }
    keys = [k for k in wanted if all(k in m for m in models)]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.5), dpi=110, gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / max(len(models), 1)
    for i, m in enumerate(models):
        ax.bar([x + i * width for x in range(len(keys))], [m[k] for k in keys], width, label=m["label"])
        ax2.bar([i], [m["perplexity"]], 0.6, label=m["label"])
    ax.set_xticks([x + width * (len(models) - 1) / 2 for x in range(len(keys))])
    ax.set_xticklabels([wanted[k] for k in keys])
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("Held-out drafts (delivered)")
    ax2.set_xticks(range(len(models)))
    ax2.set_xticklabels([m["label"].split(" (")[0][:10] for m in models], fontsize=7, rotation=20)
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
