"""`postpulse eval --specifics`: do drafts keep what the brief says? (issue 18)

Runs the held-out one-line briefs that carry specifics (data/starter/heldout_specifics.jsonl) through
the configured default backend and adapter, twice in one run on the same engine and seeds:
- `before`: the selection before issue 18 (one batch of best-of-n candidates, the best total wins, no
  repair), over today's post-processing (so it already has the hashtag rule and the stronger guard);
- `now`: DraftService as it serves today (the fact check as a requirement, adaptive sampling, repair).
Every figure is on the delivered draft, the one a user gets.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.brief import Brief, make_brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.postprocess import Post
from bot.prompts import build_messages
from bot.quality.bestof import pick, score_outputs, sources, total_key
from bot.quality.tone import tone_judge
from bot.service import default_loader
from engine.interface import generate
from engine.types import GenerationRequest
from training import metrics
from training.dataset import REPO

SPECIFICS_FILE = REPO / "data" / "starter" / "heldout_specifics.jsonl"


def load_briefs(path: Path, catalog: Catalog, config: AppConfig, seed: int, limit: int | None) -> list[Brief]:
    """Brief-only lines (no post: this set measures drafts, it trains nothing), each with a seed."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    briefs = [make_brief({**raw, "seed": seed + i}, catalog, config.engine) for i, raw in enumerate(lines)]
    return briefs[:limit] if limit else briefs


@dataclass
class SpecificsRow:
    label: str
    drafts: int
    specifics_kept: float  # kept / stated, pooled over every draft
    all_kept: float  # share of drafts that keep every specific of their brief
    contradicted: float  # share of drafts that contradict one
    invented_names: float  # share of drafts naming what nobody gave
    key_terms: float
    bad_hashtags: int  # drafts with a tag outside the rule or raw markup
    invented: float  # share with an invented number, date, handle (the fact guard's figure)
    first_person: float
    fragments: float
    within_limit: float
    candidates: float  # mean candidates sampled per draft
    restored: int  # drafts whose missing specifics the repair put back in the brief's words
    seconds: float
    samples: list[dict[str, Any]] = field(default_factory=list)


def score_rows(
    label: str,
    briefs: list[Brief],
    posts: list[Post],
    catalog: Catalog,
    candidates: list[int],
    seconds: float,
) -> SpecificsRow:
    restored = [bool((p.score or {}).get("restored")) for p in posts]
    scores = [metrics.specifics_score(p.text, b, catalog) for b, p in zip(briefs, posts, strict=True)]
    m = metrics.mean
    stated = sum(s.total for s in scores)
    return SpecificsRow(
        label=label,
        drafts=len(posts),
        specifics_kept=sum(s.kept for s in scores) / stated if stated else 1.0,
        all_kept=m([s.all_kept for s in scores]),
        contradicted=m([s.contradicted > 0 for s in scores]),
        invented_names=m([bool(s.invented_names) for s in scores]),
        key_terms=m(
            [metrics.key_term_coverage(p.text, b.prompt) for b, p in zip(briefs, posts, strict=True)]
        ),
        bad_hashtags=sum(bool(s.bad_tags) for s in scores),
        invented=m(
            [metrics.has_invented_specifics(p.text, sources(b)) for b, p in zip(briefs, posts, strict=True)]
        ),
        first_person=m([metrics.first_person(p.text) for p in posts]),
        fragments=m([metrics.is_fragment(p.text) for p in posts]),
        within_limit=m(
            [metrics.within_limit(p.text, b.platform, catalog) for b, p in zip(briefs, posts, strict=True)]
        ),
        candidates=m([float(c) for c in candidates]),
        restored=sum(restored),
        seconds=round(seconds, 1),
        samples=[
            {
                "brief": b.prompt,
                "platform": b.platform,
                "tone": b.tone,
                "draft": p.text,
                "kept": f"{s.kept}/{s.total}",
                "contradicted": s.contradicted,
                "invented_names": list(s.invented_names),
                "bad_tags": list(s.bad_tags),
                "restored": list((p.score or {}).get("restored", [])),
            }
            for b, p, s in zip(briefs, posts, scores, strict=True)
        ],
    )


async def before(drafts: DraftService, brief: Brief) -> tuple[Post, int]:
    """The draft as the path before issue 18 chose it: one batch, the best total."""
    request = drafts.request_for(brief)
    request = GenerationRequest(
        messages=build_messages(brief, drafts.catalog, drafts.prompt_format),
        params=request.params,
        n=request.n,
    )
    result = await generate(drafts.engine, request)
    judge = tone_judge() if drafts.quality.tone_judge else None
    candidates = score_outputs(brief, result.outputs, drafts.catalog, judge)
    return pick(candidates, 1, key=total_key)[0].item, request.n


async def now(drafts: DraftService, brief: Brief) -> tuple[Post, int]:
    draft = await drafts.create(brief)
    return draft.post, int((draft.post.score or {}).get("candidates", 0) or len(draft.finish_reasons))


async def evaluate(config: AppConfig, catalog: Catalog, briefs: list[Brief]) -> list[SpecificsRow]:
    engine = await default_loader(config)()
    try:
        drafts = DraftService.build(engine, catalog, config)
        rows: list[SpecificsRow] = []
        for label, path in (("before", before), ("now", now)):
            started = time.perf_counter()
            out = await asyncio.gather(*(path(drafts, b) for b in briefs))
            seconds = time.perf_counter() - started
            rows.append(score_rows(label, briefs, [p for p, _ in out], catalog, [n for _, n in out], seconds))
    finally:
        await engine.shutdown()
    return rows


FIGURES = [
    ("specifics_kept", "Specifics kept (pooled)", "{:.1%}", "≥ 95%"),
    ("all_kept", "Drafts keeping every specific", "{:.1%}", "≥ 90%"),
    ("contradicted", "Drafts contradicting a specific", "{:.1%}", "0"),
    ("invented_names", "Drafts inventing a name", "{:.1%}", "≤ 3%"),
    ("key_terms", "Key-term coverage", "{:.1%}", "≥ 90%"),
    ("bad_hashtags", "Drafts with a tag outside the rule or raw markup", "{}", "0"),
    ("invented", "Drafts with an invented number/date/handle", "{:.1%}", "no worse"),
    ("first_person", "First person singular", "{:.1%}", "no worse"),
    ("fragments", "Cut fragments", "{:.1%}", "no worse"),
    ("within_limit", "Within the platform limit", "{:.1%}", "no worse"),
    ("candidates", "Candidates sampled per draft (mean)", "{:.1f}", ""),
    ("restored", "Drafts whose missing specifics the repair restored", "{}", ""),
    ("seconds", "Seconds for the set (batched)", "{:.0f}", ""),
]


def report(rows: list[SpecificsRow], backend: str, model: str) -> str:
    lines = [
        "# Specifics eval (issue 18)",
        "",
        f"{rows[0].drafts} held-out one-line briefs with specifics ({SPECIFICS_FILE.name}), one draft each, "
        f"backend {backend}, model {model}; both rows in one run, same engine and seeds.",
        "",
        "| Figure | " + " | ".join(r.label for r in rows) + " | target |",
        "|---" * (len(rows) + 2) + "|",
    ]
    for key, title, fmt, target in FIGURES:
        lines.append(
            f"| {title} | " + " | ".join(fmt.format(getattr(r, key)) for r in rows) + f" | {target} |"
        )
    last = rows[-1]
    lines += ["", f"## Drafts ({last.label}), in file order", ""]
    for i, s in enumerate(last.samples, 1):
        notes = f"kept {s['kept']}"
        if s["contradicted"]:
            notes += f", {s['contradicted']} contradicted"
        if s["invented_names"]:
            notes += f", invented {', '.join(s['invented_names'])}"
        if s.get("restored"):
            notes += f", restored {', '.join(s['restored'])}"
        if s["bad_tags"]:
            notes += f", tags outside the rule: {' '.join(s['bad_tags'])}"
        lines += [
            f"{i}. **{s['brief']}** ({s['platform']}, {s['tone']}; {notes})",
            "",
            "```",
            s["draft"],
            "```",
            "",
        ]
    return "\n".join(lines)


def run_specifics_eval(
    config: AppConfig, report_dir: Path, *, limit: int | None = None, seed: int = 1800
) -> list[SpecificsRow]:
    """Score the set, write specifics_report.md and specifics_eval.json to `report_dir`."""
    catalog = Catalog.from_config(config)
    briefs = load_briefs(SPECIFICS_FILE, catalog, config, seed, limit)
    # the whole set is queued at once: no brief's deadline may expire while the others decode
    engine = config.engine.model_copy(update={"request_timeout_s": 7200, "max_queue": 4096})
    config = config.model_copy(update={"engine": engine})
    rows = asyncio.run(evaluate(config, catalog, briefs))
    report_dir.mkdir(parents=True, exist_ok=True)
    model = config.model.adapter or config.model.source
    (report_dir / "specifics_report.md").write_text(report(rows, config.engine.backend, str(model)) + "\n")
    summary = {"backend": config.engine.backend, "seed": seed, "rows": [asdict(r) for r in rows]}
    (report_dir / "specifics_eval.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return rows
