"""Best-of-n cost: the same briefs through DraftService with 1, 2 and 4 candidates per variant.

Run `python -m bench.bestof [--backend transformers|vllm|both] [--briefs 8] [--tokens 96]
[--concurrency 1]`. Each backend's baseline (n=1) is measured in the same run, on the same engine,
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
    candidates: int
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
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args))
    print(
        f"best-of-n on {args.backend} ({platform.processor() or platform.machine()}), "
        f"{args.briefs} briefs, {args.tokens} new tokens, concurrency {args.concurrency}"
    )
    print("| backend | candidates | p50 s | mean s | p50 vs n=1 | mean best score |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.backend} | {r.candidates} | {r.p50_s:.2f} | {r.mean_s:.2f} | {r.ratio:.2f}x "
            f"| {r.mean_score:.3f} |"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"bestof-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": [r.__dict__ for r in rows]}, indent=2) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
