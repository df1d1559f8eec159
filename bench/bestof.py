"""Best-of-n cost: the same briefs through DraftService with 1, 2 and 4 candidates per variant.

Run `python -m bench.bestof [--backend transformers|vllm|both] [--briefs 8] [--tokens 96]
[--concurrency 1] [--adaptive]`. `--adaptive` (issue 18) instead compares, on the held-out briefs
with specifics, one draft at a time and brief by brief in alternating order, the fixed best-of-n before
issue 18 (n candidates, `quality.max_candidates` = n, so never a second batch) with adaptive sampling
(repair first; a second batch, up to `quality.max_candidates`, only where no candidate meets the
requirement even repaired), at the backend's configured n: the draft p50 ratio is the figure.
Otherwise each backend's baseline (n=1) is measured in the same run, on the same engine,
with the same seeds; the table gives each setting's latency and its ratio to that baseline, plus the
mean best-of score (what the extra cost buys). The vLLM row set uses the managed child server
(`engine.backends.vllm`, the `.venv-vllm` made by `make vllm`), as `make run` serves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bot.catalog import Catalog
from bot.config import AppConfig, QualityConfig, load_config
from bot.drafts import DraftService
from bot.quality.tone import default_judge
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import load_model
from engine.config import EngineConfig
from engine.interface import Engine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BRIEFS = (
    ("spring sale on garden tools, 20% off this weekend", "instagram", "casual", "retail"),
    ("new oat milk latte", "x", "witty", "food_beverage"),
    ("smartphone release", "linkedin", "professional", "technology"),
    ("volunteers needed for the beach cleanup", "facebook", "empathetic", "nonprofit"),
    ("open house sunday, family home with garden", "instagram", "fomo", "real_estate"),
    ("budgeting app launch", "x", "persuasive", "finance"),
    ("boutique hotel opening", "linkedin", "luxury", "travel_hospitality"),
    ("kids coding workshop this saturday", "facebook", "inspirational", "education"),
)


@dataclass
class Row:
    backend: str
    per_variant: int
    candidates: float
    p50_s: float
    mean_s: float
    ratio: float
    mean_score: float


async def measure(drafts: DraftService, per_variant: int, briefs: int, tokens: int, concurrency: int) -> Row:
    quality = QualityConfig(best_of={drafts.engine.backend: per_variant})
    drafts = DraftService(
        drafts.engine, drafts.catalog, drafts.limits, quality=quality, prompt_format=drafts.prompt_format
    )
    raws = [
        {"prompt": p, "platform": pl, "tone": t, "industry": i, "max_length": tokens, "seed": 100 + k}
        for k, (p, pl, t, i) in enumerate((BRIEFS * 4)[:briefs])
    ]
    seconds: list[float] = []
    scores: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(raw: dict[str, object]) -> None:
        async with gate:
            started = time.perf_counter()
            draft = await drafts.create(drafts.brief(raw))
            seconds.append(time.perf_counter() - started)
            scores.append(float(draft.post.score["total"]) if draft.post.score else 0.0)

    await asyncio.gather(*(one(r) for r in raws))
    return Row(
        drafts.engine.backend,
        per_variant,
        per_variant,
        statistics.median(seconds),
        statistics.mean(seconds),
        0.0,
        statistics.mean(scores),
    )


def specifics_briefs(count: int, tokens: int) -> list[dict[str, object]]:
    from training.specifics_eval import SPECIFICS_FILE

    lines = [
        json.loads(line) for line in SPECIFICS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [{**raw, "max_length": tokens, "seed": 100 + k} for k, raw in enumerate(lines[:count])]


def _service(drafts: DraftService, max_candidates: int) -> DraftService:
    quality = drafts.quality.model_copy(update={"max_candidates": max_candidates})
    return DraftService(
        drafts.engine, drafts.catalog, drafts.limits, quality=quality, prompt_format=drafts.prompt_format
    )


async def measure_adaptive(drafts: DraftService, briefs: int, tokens: int) -> list[Row]:
    """Fixed best-of-n (n candidates, never a second batch: the decode cost before issue 18) against
    adaptive sampling (repair first, then a second batch up to `quality.max_candidates` where the
    repair cannot meet the requirement), brief by brief in alternating order so neither setting
    always meets the warmer engine or the quieter machine. Rows: p50 and mean latency, mean
    candidates sampled, and the share of drafts keeping every specific (in the mean-score column)."""
    per_variant = drafts.quality.candidates(drafts.engine.backend, 1)
    settings = {
        "fixed": _service(drafts, per_variant),
        "adaptive": _service(drafts, drafts.quality.max_candidates),
    }
    seconds: dict[str, list[float]] = {name: [] for name in settings}
    sampled: dict[str, list[int]] = {name: [] for name in settings}
    kept: dict[str, list[bool]] = {name: [] for name in settings}
    for k, raw in enumerate(specifics_briefs(briefs, tokens)):
        for name in list(settings) if k % 2 == 0 else list(reversed(settings)):
            service = settings[name]
            started = time.perf_counter()
            draft = await service.create(service.brief(raw))
            seconds[name].append(time.perf_counter() - started)
            score = draft.post.score or {}
            sampled[name].append(int(score.get("candidates", per_variant)))
            kept[name].append(not score.get("missing") and not score.get("contradicted"))
    return [
        Row(
            f"{drafts.engine.backend} {name}",
            per_variant,
            round(statistics.mean(sampled[name]), 2),
            statistics.median(seconds[name]),
            statistics.mean(seconds[name]),
            0.0,
            statistics.mean(kept[name]),
        )
        for name in settings
    ]


async def start(backend: str, config: AppConfig) -> Engine:
    """The engine under test, with a deadline no benchmark run reaches."""
    if backend == "vllm":
        from engine.backends.vllm import VllmEngine

        return await VllmEngine(
            config.model, config.engine.model_copy(update={"request_timeout_s": 3600})
        ).start()
    return AsyncEngine(load_model(config.model), EngineConfig(max_batch_size=64, request_timeout_s=3600))


async def run_backend(backend: str, args: argparse.Namespace) -> list[Row]:
    config = load_config(env={})
    catalog = Catalog.from_config(config)
    engine = await start(backend, config)
    drafts = DraftService.build(engine, catalog, config)
    default_judge()  # fitted before timing
    try:
        await measure(drafts, 1, 2, 8, 1)  # warm-up
        if args.adaptive:
            rows = await measure_adaptive(drafts, args.briefs, args.tokens)
        else:
            rows = [await measure(drafts, n, args.briefs, args.tokens, args.concurrency) for n in (1, 2, 4)]
    finally:
        await engine.shutdown()
    for row in rows:
        row.ratio = row.p50_s / rows[0].p50_s
    return rows


async def run(args: argparse.Namespace) -> list[Row]:
    backends = ["transformers", "vllm"] if args.backend == "both" else [args.backend]
    return [row for backend in backends for row in await run_backend(backend, args)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bestof", description=__doc__)
    parser.add_argument("--backend", choices=["transformers", "vllm", "both"], default="transformers")
    parser.add_argument("--briefs", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument(
        "--adaptive",
        action="store_true",
        help="fixed vs adaptive best-of-n on the specifics briefs (issue 18)",
    )
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args))
    print(
        f"best-of-n on {args.backend} ({platform.processor() or platform.machine()}), "
        f"{args.briefs} briefs, {args.tokens} new tokens, concurrency {args.concurrency}"
    )
    last = "every specific kept" if args.adaptive else "mean best score"
    print(f"| backend | candidates | p50 s | mean s | p50 vs first row | {last} |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.backend} | {r.candidates:g} | {r.p50_s:.2f} | {r.mean_s:.2f} | {r.ratio:.2f}x "
            f"| {r.mean_score:.3f} |"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"bestof-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": [r.__dict__ for r in rows]}, indent=2) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
