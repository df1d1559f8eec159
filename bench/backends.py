"""Backends side by side in one run, on the same briefs: the transformers engine behind the sidecar,
PostPulse on vLLM (the sidecar over the managed vLLM child), and bare vLLM (the same child, asked
directly: PostPulse's own overhead is the gap between the last two).

Every system gets the same chat messages (PostPulse's prompts for the same briefs) through an
OpenAI-compatible streaming endpoint, `--tokens` new tokens each, unseeded sampling at temperature
0.7 (as drafts go out; `--seeded` sends seed i, which PostPulse answers from a cold prefill, see
engine/backends/seeded.py, while bare vLLM reads its prefix cache). Workloads: one stream at a time,
`--concurrency` at once, and `--staggered` streams arriving as a seeded Poisson process (time to
first token).

PostPulse on vLLM and bare vLLM are measured `--rounds` times (default 3) in alternating order
(PostPulse first in odd rounds, bare first in even ones), so neither always meets a warmer or a
quieter machine; each row keeps each system's best round (highest tok/s, lowest TTFT). Prints a table
of ratios against the transformers baseline measured in this run and writes JSON, every round
included, under bench/results/. Run: `python -m bench.backends` (`make bench`). On a shared machine
absolute numbers are noisy; the ratios within one run are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.runtime import build_runtime
from bot.brief import make_brief
from bot.catalog import Catalog
from bot.config import AppConfig, load_config
from bot.prompts import build_messages
from engine.backends.transformers.async_engine import start_engine
from engine.backends.vllm import VllmEngine
from engine.interface import Engine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BRIEFS = (
    ("Launch of our oat-milk cold brew, now in every store", "instagram", "casual", "food_beverage"),
    ("Our budgeting app adds automatic savings goals", "linkedin", "professional", "finance"),
    ("Spring sale: 30% off every running shoe this weekend", "x", "fomo", "retail"),
    ("We opened a second clinic downtown", "facebook", "empathetic", "health_wellness"),
    ("A new version of our project-management tool ships today", "linkedin", "persuasive", "b2b_saas"),
    ("Join our free webinar on home composting", "facebook", "inspirational", None),
    ("Our bakery now bakes gluten-free sourdough", "instagram", "witty", "food_beverage"),
    ("Our new boutique hotel opens by the harbour", "threads", "luxury", "travel_hospitality"),
)


@dataclass
class Run:
    tokens: int
    seconds: float
    ttft_s: list[float]

    @property
    def tok_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    @property
    def ttft_p50(self) -> float:
        return statistics.median(self.ttft_s) if self.ttft_s else float("nan")


def bodies(
    config: AppConfig, catalog: Catalog, tokens: int, count: int, seeded: bool = False
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(count):
        prompt, platform_name, tone, industry = BRIEFS[i % len(BRIEFS)]
        raw = {"prompt": prompt, "platform": platform_name, "tone": tone, "industry": industry}
        brief = make_brief({k: v for k, v in raw.items() if v}, catalog, config.engine)
        body: dict[str, Any] = {
            "messages": build_messages(brief, catalog),
            "max_tokens": tokens,
            "temperature": 0.7,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        out.append({**body, "seed": i} if seeded else body)
    return out


async def one(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, float]:
    """(completion tokens, seconds to the first text) for one streamed chat completion."""
    started = time.perf_counter()
    first: float | None = None
    tokens = 0
    async with session.post(url, json=body) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status}: {(await resp.text())[:300]}")
        async for raw in resp.content:
            line = raw.decode().strip()
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[5:])
            if chunk.get("usage"):
                tokens = int(chunk["usage"]["completion_tokens"])
            if first is None and any((c.get("delta") or {}).get("content") for c in chunk.get("choices", [])):
                first = time.perf_counter() - started
    return tokens, first if first is not None else time.perf_counter() - started


async def single(session: aiohttp.ClientSession, url: str, work: list[dict[str, Any]]) -> Run:
    started = time.perf_counter()
    runs = [await one(session, url, body) for body in work]
    return Run(sum(t for t, _ in runs), time.perf_counter() - started, [f for _, f in runs])


async def concurrent(session: aiohttp.ClientSession, url: str, work: list[dict[str, Any]]) -> Run:
    started = time.perf_counter()
    runs = await asyncio.gather(*(one(session, url, body) for body in work))
    return Run(sum(t for t, _ in runs), time.perf_counter() - started, [f for _, f in runs])


async def staggered(
    session: aiohttp.ClientSession, url: str, work: list[dict[str, Any]], gaps: list[float]
) -> Run:
    async def later(delay: float, body: dict[str, Any]) -> tuple[int, float]:
        await asyncio.sleep(delay)
        return await one(session, url, body)

    started = time.perf_counter()
    arrivals = [sum(gaps[: i + 1]) for i in range(len(work))]
    runs = await asyncio.gather(*(later(at, body) for at, body in zip(arrivals, work, strict=True)))
    return Run(sum(t for t, _ in runs), time.perf_counter() - started, [f for _, f in runs])


async def measure(url: str, work: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Run]:
    timeout = aiohttp.ClientTimeout(total=900)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers, connector=connector) as session:
        await one(session, url, work["single"][0])  # warm-up: first-use kernels, compiled shapes
        return {
            "single": await single(session, url, work["single"]),
            "concurrent": await concurrent(session, url, work["concurrent"]),
            "staggered": await staggered(session, url, work["staggered"], work["gaps"]),
        }


async def sidecar(
    config: AppConfig, engine: Engine, catalog: Catalog, run: Callable[[str], Awaitable[Any]]
) -> Any:
    """`run(url)` against the sidecar built as `postpulse serve` builds it, on `engine`."""
    async with build_runtime(
        config, {}, host="127.0.0.1", port=0, grace_s=1, engine=engine, catalog=catalog
    ) as runtime:
        return await run(f"{runtime.url}/v1/chat/completions")


def best(rounds: list[dict[str, Run]]) -> dict[str, Run]:
    """Each workload's best round: the most tokens per second."""
    return {w: max((r[w] for r in rounds), key=lambda run: run.tok_s) for w in rounds[0]}


def best_ttft(rounds: list[dict[str, Run]], workload: str) -> float:
    return min(r[workload].ttft_p50 for r in rounds)


async def alternating(
    rounds: int, systems: dict[str, Callable[[], Awaitable[dict[str, Run]]]]
) -> dict[str, list[dict[str, Run]]]:
    """`rounds` measurements of every system, the order reversed each round."""
    names = list(systems)
    out: dict[str, list[dict[str, Run]]] = {name: [] for name in names}
    for i in range(rounds):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            print(f"round {i + 1}/{rounds}: {name} ...", file=sys.stderr)
            out[name].append(await systems[name]())
    return out


async def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    config = config.model_copy(
        update={
            "engine": config.engine.model_copy(update={"max_queue": 4096, "request_timeout_s": 900}),
            "http": config.http.model_copy(update={"rate_limit_per_minute": 0}),
        }
    )
    catalog = Catalog.from_config(config)
    rng = random.Random(7)
    work: dict[str, Any] = {
        "single": bodies(config, catalog, args.tokens, args.repeats, args.seeded),
        "concurrent": bodies(config, catalog, args.tokens, args.concurrency, args.seeded),
        "staggered": bodies(config, catalog, args.tokens, args.staggered, args.seeded),
        "gaps": [rng.expovariate(1 / args.mean_gap) for _ in range(args.staggered)],
    }
    rounds: dict[str, list[dict[str, Run]]] = {}
    if not args.skip_transformers:
        print("transformers: loading the in-process engine ...", file=sys.stderr)
        engine = await start_engine(None, config.engine, config.model)
        try:
            rounds["transformers"] = [await sidecar(config, engine, catalog, lambda url: measure(url, work))]
        finally:
            await engine.shutdown()
    print("vLLM: starting the managed child ...", file=sys.stderr)
    vllm = await VllmEngine(config.model, config.engine).start()
    try:
        bare = f"http://127.0.0.1:{vllm.port}/v1/chat/completions"
        name = vllm.model_name
        named = {k: v if k == "gaps" else [{**b, "model": name} for b in v] for k, v in work.items()}
        key = {"Authorization": f"Bearer {vllm.child_key}"}
        rounds |= await alternating(
            args.rounds,
            {
                "postpulse_vllm": lambda: sidecar(config, vllm, catalog, lambda url: measure(url, work)),
                "bare_vllm": lambda: measure(bare, named, key),
            },
        )
    finally:
        await vllm.shutdown()
    report(rounds, args)
    return 0


def report(rounds: dict[str, list[dict[str, Run]]], args: argparse.Namespace) -> None:
    systems: list[str] = [s for s in ("transformers", "postpulse_vllm", "bare_vllm") if s in rounds]
    results = {s: best(rounds[s]) for s in systems}
    # TTFT rows: each system's lowest p50 over its rounds (not the p50 of its fastest-throughput round)
    ttft = {s: {w: best_ttft(rounds[s], w) for w in ("concurrent", "staggered")} for s in systems}
    print(f"best of {args.rounds} rounds, alternating order (transformers: one round)\n")
    rows: list[tuple[str, Callable[[str], float], str]] = [
        ("1 stream, tok/s", lambda s: results[s]["single"].tok_s, "{:.1f}"),
        (f"{args.concurrency} concurrent, tok/s", lambda s: results[s]["concurrent"].tok_s, "{:.1f}"),
        (f"{args.concurrency} concurrent, TTFT p50 s", lambda s: ttft[s]["concurrent"], "{:.2f}"),
        (f"{args.staggered} staggered, TTFT p50 s", lambda s: ttft[s]["staggered"], "{:.2f}"),
        (f"{args.staggered} staggered, tok/s", lambda s: results[s]["staggered"].tok_s, "{:.1f}"),
    ]
    head = ["work", *systems]
    if "transformers" in results:
        head.append("PostPulse-vLLM / transformers")
    head.append("PostPulse-vLLM / bare vLLM")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, get, fmt in rows:
        cells = [name, *(fmt.format(get(s)) for s in systems)]
        pp = get("postpulse_vllm")
        if "transformers" in results:
            cells.append(f"{pp / get('transformers'):.2f}x")
        cells.append(f"{pp / get('bare_vllm'):.3f}x")
        print("| " + " | ".join(cells) + " |")
    targets: dict[str, bool] = {}
    ours, bare = results["postpulse_vllm"], results["bare_vllm"]
    if "transformers" in results:
        tr = results["transformers"]
        targets["32 concurrent >= 2.5x transformers"] = (
            ours["concurrent"].tok_s / tr["concurrent"].tok_s >= 2.5
        )
        targets["1 stream >= 1.5x transformers"] = ours["single"].tok_s / tr["single"].tok_s >= 1.5
    targets["staggered TTFT p50 < 0.5 s"] = ttft["postpulse_vllm"]["staggered"] < 0.5
    for workload, label in (("single", "1 stream"), ("concurrent", f"{args.concurrency} concurrent")):
        ok = ours[workload].tok_s >= 0.95 * bare[workload].tok_s
        targets[f"PostPulse on vLLM >= 0.95x bare vLLM ({label} tok/s)"] = ok
    print()
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"backends-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {
        "machine": platform.processor() or platform.machine(),
        "args": vars(args),
        "load_1min": round(os.getloadavg()[0], 1),
        "results": {
            system: {w: {**asdict(r), "tok_s": r.tok_s, "ttft_p50": r.ttft_p50} for w, r in runs.items()}
            for system, runs in results.items()
        },
        "rounds": {
            system: [{w: {"tok_s": r.tok_s, "ttft_p50": r.ttft_p50} for w, r in one.items()} for one in runs]
            for system, runs in rounds.items()
        },
        "targets": targets,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten: {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="YAML config (default: configs/default.yaml)")
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per request")
    parser.add_argument("--repeats", type=int, default=3, help="requests in the one-at-a-time run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--staggered", type=int, default=16)
    parser.add_argument("--mean-gap", type=float, default=0.5, help="mean seconds between staggered arrivals")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of PostPulse and bare vLLM")
    parser.add_argument("--seeded", action="store_true", help="seed every request (seed i)")
    parser.add_argument("--skip-transformers", action="store_true", help="vLLM only (PostPulse vs bare)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(main(parse_args())))
