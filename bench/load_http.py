"""Load check for the HTTP sidecar: N requests at concurrency C against a small engine queue.

Pass condition: every request ends in 200, or 429 with Retry-After; none hangs past the client
timeout and none is 5xx. Prints the status split and latency percentiles, writes JSON under
bench/results/. Run: `python -m bench.load_http [--requests 200 --concurrency 64 --queue 8]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from adapters.runtime import build_runtime
from bench.stats import percentile
from bot.config import load_config
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import load_model

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Outcome:
    status: int  # 0 = client-side failure (timeout / connection error)
    seconds: float
    retry_after: str | None
    error: str | None = None


async def one(session: aiohttp.ClientSession, url: str, body: dict[str, object], timeout_s: float) -> Outcome:
    started = time.perf_counter()
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            await resp.read()
            return Outcome(resp.status, time.perf_counter() - started, resp.headers.get("Retry-After"))
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Outcome(0, time.perf_counter() - started, None, type(exc).__name__)


async def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    config = config.model_copy(
        update={
            "engine": config.engine.model_copy(
                update={"max_queue": args.queue, "max_batch_size": args.batch}
            ),
            "http": config.http.model_copy(
                update={"rate_limit_per_minute": 0}
            ),  # measure the queue, not the limiter
        }
    )
    loaded = await asyncio.to_thread(load_model, config.model)
    engine = AsyncEngine(loaded, config.engine)
    body = {"prompt": "Announce our autumn coffee blend", "platform": "x", "max_length": args.max_length}
    gate = asyncio.Semaphore(args.concurrency)

    async def limited(session: aiohttp.ClientSession, url: str) -> Outcome:
        async with gate:
            return await one(session, url, body, args.timeout)

    async with build_runtime(config, {}, host="127.0.0.1", port=0, engine=engine) as runtime:
        url = f"{runtime.url}/generate-text"
        started = time.perf_counter()
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            outcomes = await asyncio.gather(*(limited(session, url) for _ in range(args.requests)))
        wall = time.perf_counter() - started
    await engine.shutdown()

    split = Counter(o.status for o in outcomes)
    ok = [o.seconds for o in outcomes if o.status == 200]
    rejected = [o for o in outcomes if o.status == 429]
    bad = [o for o in outcomes if o.status not in (200, 429) or (o.status == 429 and not o.retry_after)]
    rows = [("all", [o.seconds for o in outcomes]), ("200", ok), ("429", [o.seconds for o in rejected])]
    print(
        f"\n{args.requests} requests, concurrency {args.concurrency}, queue {args.queue}, "
        f"batch {args.batch}, max_length {args.max_length}, {loaded.name} {loaded.dtype}, wall {wall:.1f}s"
    )
    print(f"{'status':>8} {'count':>6} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
    for name, values in rows:
        if values:
            print(
                f"{name:>8} {len(values):>6} {percentile(values, 0.5):>8.3f} "
                f"{percentile(values, 0.99):>8.3f} {max(values):>8.3f}"
            )
    print(
        f"status split: {dict(sorted(split.items()))}; 429 with Retry-After: "
        f"{sum(1 for o in rejected if o.retry_after)}/{len(rejected)}; bad: {len(bad)}"
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load_http-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report = {
        "params": vars(args),
        "model": loaded.name,
        "dtype": str(loaded.dtype),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "wall_s": wall,
        "status_split": {str(k): v for k, v in split.items()},
        "latency_s": {
            name: {
                "p50": percentile(v, 0.5),
                "p99": percentile(v, 0.99),
                "mean": statistics.fmean(v) if v else None,
            }
            for name, v in rows
        },
        "passed": not bad,
        "bad": [asdict(o) for o in bad[:20]],
    }
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0 if not bad else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--queue", type=int, default=8, help="engine.max_queue (small on purpose)")
    p.add_argument("--batch", type=int, default=16, help="engine.max_batch_size")
    p.add_argument("--max-length", type=int, default=16)
    p.add_argument("--timeout", type=float, default=300.0, help="client timeout: a request past it 'hung'")
    p.add_argument("--config", default=None)
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
