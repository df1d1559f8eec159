"""The adapter's model card (README.md in the adapter directory), written from its metadata and, once
`postpulse eval --card` ran, its eval table; replaces the template that PEFT's save_pretrained writes.

Why generated: the card must match the adapter it sits beside (data hash, hyper-parameters, steps,
eval), and a hand-edited card drifts the first time someone retrains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LIMITS = """\
- A 135M-parameter model: drafts are short and generic more often than a larger model's; treat them as
  first drafts. Point `model.source` at a bigger Llama on a GPU for stronger copy.
- English only; trained on invented brands, products and numbers (data/README.md).
- The tone judge used by best-of-n and the eval is a TF-IDF + logistic-regression classifier: it
  rewards tone-typical words, not tone itself.
- It can still invent names (brands, people) without a surface form the fact guard catches; numbers,
  prices, dates, times, handles, URLs and phone numbers are removed in post-processing.
- Some samples still speak as "I" or as a chat assistant ("Hi, I'm Emily…"): best-of-n ranks them
  last and post-processing (bot/voice.py) rewrites the rest into "we"; the table's raw rows show how
  often the model itself does it.
- Served with any other prompt format than the one recorded below, quality drops."""


def _fmt(value: float, pct: bool) -> str:
    return f"{value:.1%}" if pct else f"{value:.2f}"


def eval_table(summary: dict[str, Any]) -> str:
    rows = [
        ("key_terms", "Key-term coverage", True),
        ("invented", "Invented specifics (drafts)", True),
        ("first_person", "First person singular", True),
        ("fragments", "Cut fragments", True),
        ("hashtag_valid", "Valid hashtag lines", True),
        ("tone_accuracy", "Tone accuracy (raw)", True),
        ("perplexity", "Held-out perplexity", False),
    ]
    models = summary["models"]
    lines = [
        "| metric (delivered drafts) | " + " | ".join(m["label"] for m in models) + " |",
        "|---" * (len(models) + 1) + "|",
    ]
    for key, title, pct in rows:
        if all(key in m for m in models):
            lines.append(f"| {title} | " + " | ".join(_fmt(m[key], pct) for m in models) + " |")
    lines.append(
        "| raw invented specifics | "
        + " | ".join(_fmt(m.get("invented_raw", 0), True) for m in models)
        + " |"
    )
    lines.append(
        "| raw first person | " + " | ".join(_fmt(m.get("first_person_raw", 0), True) for m in models) + " |"
    )
    lines.append(
        "| raw cut fragments | " + " | ".join(_fmt(m.get("fragments_raw", 0), True) for m in models) + " |"
    )
    return "\n".join(lines)


def render(meta: dict[str, Any], summary: dict[str, Any] | None = None, notes: str = "") -> str:
    base = meta["base_model"]
    cfg = meta.get("config", {})
    hyper, lora = cfg.get("hyper", {}), cfg.get("lora", {})
    m = meta.get("metrics", {})
    data = meta.get("dataset", {})
    fmt = meta.get("prompt_format", "full")
    parts = [
        "---",
        f"base_model: HuggingFaceTB/{base['name']}",
        "library_name: peft",
        "pipeline_tag: text-generation",
        "license: apache-2.0",
        "tags: [lora, sft, marketing, postpulse]",
        "---",
        "",
        f"# PostPulse adapter for {base['name']}",
        "",
        "A LoRA adapter that writes social media posts (Instagram, X, Facebook, LinkedIn, …) in one of",
        "PostPulse's eight tones, for a brief typed the way people type a slash command. PostPulse serves",
        "it in-process (transformers + peft) or merged into vLLM; see the repository README.",
        "",
        "## Prompt format",
        "",
        f"`{fmt}` (recorded in `postpulse.json` as `prompt_format`; `bot/prompts.py` builds it)."
        + (
            " A constant system turn, then a control header and the brief:\n\n"
            "```\nplatform: instagram\ntone: casual\nindustry: retail\nhashtags: on\n"
            "brief: spring sale on garden tools, 20% off this weekend\n```\n\n"
            "Optional lines `audience:`, `voice:` and `cta:` come before `brief:`."
            if fmt.startswith("compact")
            else " The full instruction prompt (tone rules, platform notes, vocabulary)."
        ),
        "",
        "## Training data",
        "",
        f"{data.get('train_records', '?')} posts of the PostPulse starter set (`data/starter/train`, "
        f"CC-BY-4.0, written for the project; sha256 `{str(data.get('hash', ''))[:16]}…`), of which about",
        'half have one-line briefs. Every post uses only the facts its brief gives and speaks as "we"',
        "(data/README.md). Held out: `data/starter/heldout` (268 posts, 162 short briefs).",
        "",
        "## Training",
        "",
        f"- backend {meta.get('backend')}, precision {meta.get('precision')}, "
        f"optimizer {meta.get('optimizer')}",
        f"- LoRA r={lora.get('r')}, alpha={lora.get('alpha')}, dropout={lora.get('dropout')}, "
        f"modules {', '.join(lora.get('target_modules', []))}",
        f"- batch {hyper.get('per_device_train_batch_size')} × gradient accumulation "
        f"{hyper.get('gradient_accumulation_steps')}, lr {hyper.get('learning_rate')}, "
        f"{hyper.get('lr_scheduler_type')} schedule, warmup {hyper.get('warmup_steps')} step(s), "
        f"weight decay {hyper.get('weight_decay')}, seed {hyper.get('seed')}, "
        f"max length {cfg.get('max_seq_length')}",
        f"- {m.get('steps')} optimizer steps ({m.get('epochs')} epochs) "
        f"of {m.get('planned_steps', '?')} planned"
        + (
            f"; stopped early at step {m['stopped_early_at']} by the time budget"
            if m.get("stopped_early_at")
            else ""
        ),
        f"- loss {m.get('first_loss')} → {m.get('last_loss')} (`loss_curve.png`, `train_log.csv`), "
        f"{m.get('seconds_per_step')} s/step, {m.get('train_seconds')} s in all",
    ]
    if cfg.get("init_adapter"):
        parts.append("- initialised from an earlier adapter's weights (`init_adapter`), not from zero")
    for diff in meta.get("differences_from_spec", []):
        parts.append(f"- differs from the spec: {diff}")
    parts += ["", "## Evaluation", ""]
    if summary:
        parts += [
            f"`postpulse eval` on {summary['heldout_briefs']} held-out short briefs × "
            f"{summary['variants']} variants (temperature {summary['settings']['temperature']}); "
            "delivered = after post-processing (fact guard, brand voice, hashtag lines, endings).",
            "Full report: `training/reports/eval_report.md`.",
            "",
            eval_table(summary),
        ]
    else:
        parts.append("Not evaluated yet: run `postpulse eval --adapter <this dir> --card`.")
    if notes:
        parts += ["", notes]
    parts += ["", "## Known limits", "", LIMITS, ""]
    return "\n".join(parts)


def write(
    adapter_dir: Path, meta: dict[str, Any], summary: dict[str, Any] | None = None, notes: str = ""
) -> Path:
    path = adapter_dir / "README.md"
    path.write_text(render(meta, summary, notes), encoding="utf-8")
    return path
