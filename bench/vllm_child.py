"""How the vLLM CPU child's own settings trade start-up, speed and memory (issue 23), one variant after
another in one run: each variant is a fresh child started and stopped by VllmEngine (the embedded
model merged with the shipped adapter, PostPulse's flags and environment, the variant's on top),
asked directly.

Measured per variant: seconds until VllmEngine.start() returns (the child answers /health), tok/s
for one 150-token stream and for 32 at once (ignore_eos, temperature 0.7), and the RSS of every process
of the child after that work (the KV cache's pages count once they are touched, so every variant is
measured after the same work).

    .venv/bin/python -m bench.vllm_child [--variant NAME=ENV_JSON[|ARGS] ...] [--burners N]

Default variants: the worker in its own process (vLLM's default), inside the engine core
(VLLM_ENABLE_V1_MULTIPROCESSING=0, PostPulse's default on CPU), and that with --enforce-eager.
`--burners N` runs N busy loops beside the child, a machine shared with other work.
Results: bench/results/vllm_child-<timestamp>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bot.config import AppConfig, load_config
from engine.backends.vllm import VllmEngine

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VARIANTS = {
    "worker process": ({"VLLM_ENABLE_V1_MULTIPROCESSING": "1"}, []),
    "worker in engine core": ({"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}, []),
    "in engine core, eager": ({"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}, ["--enforce-eager"]),
}


def parse_variant(text: str) -> tuple[str, tuple[dict[str, str], list[str]]]:
    name, _, spec = text.partition("=")
    env_json, _, args = spec.partition("|")
    return name, (json.loads(env_json or "{}"), args.split())


async def one_stream(session: aiohttp.ClientSession, base: str, model: str, i: int, tokens: int) -> int:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": f"Write an Instagram post about product number {i}."}],
        "max_tokens": tokens,
        "temperature": 0.7,
        "ignore_eos": True,
    }
    async with session.post(f"{base}/v1/chat/completions", json=body) as response:
        return int((await response.json())["usage"]["completion_tokens"])


async def measure(config: AppConfig, env: dict[str, str], args: list[str], tokens: int) -> dict[str, Any]:
    """One variant: started and stopped by VllmEngine itself (make run's path: merged adapter, flags,
    environment), at normal priority so the start-up figure is the child's own."""
    vllm = config.engine.vllm.model_copy(update={"extra_args": args, "start_nice": 0})
    limits = config.engine.model_copy(update={"vllm": vllm})
    engine = VllmEngine(config.model, limits, env={**os.environ, **env})
    started = time.perf_counter()
    await engine.start()
    try:
        ready_s = time.perf_counter() - started
        base = f"http://127.0.0.1:{engine.port}"
        headers = {"Authorization": f"Bearer {engine.child_env()['VLLM_API_KEY']}"}
        async with aiohttp.ClientSession(headers=headers) as session:  # bare: the child, asked directly
            await one_stream(session, base, engine.model_name, 0, 16)
            t = time.perf_counter()
            single = await one_stream(session, base, engine.model_name, 1, tokens) / (time.perf_counter() - t)
            t = time.perf_counter()
            streams = (one_stream(session, base, engine.model_name, 100 + i, tokens) for i in range(32))
            concurrent = sum(await asyncio.gather(*streams)) / (time.perf_counter() - t)
        assert engine.proc is not None
        tree = [psutil.Process(engine.proc.pid), *psutil.Process(engine.proc.pid).children(recursive=True)]
        rss = {f"{p.pid} {p.name()}": round(p.memory_info().rss / 2**20) for p in tree}
    finally:
        await engine.shutdown()
    return {
        "ready_s": round(ready_s, 1),
        "one_stream_tok_s": round(single, 1),
        "c32_tok_s": round(concurrent, 1),
        "rss_mib": rss,
        "total_rss_mib": sum(rss.values()),
    }


async def main_async(args: argparse.Namespace) -> int:
    config = load_config(env={})
    variants = dict(parse_variant(v) for v in args.variant) if args.variant else DEFAULT_VARIANTS
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burners)]
    rows = {}
    try:
        for name, (env, extra) in variants.items():
            print(f"{name} ...", flush=True)
            rows[name] = {"env": env, "args": extra, **await measure(config, env, extra, args.tokens)}
    finally:
        for burner in burners:
            burner.kill()
    print(f"\n| variant | ready s | one stream tok/s | 32 at once tok/s | RSS MiB | burners {args.burners} |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        cells = [row["ready_s"], row["one_stream_tok_s"], row["c32_tok_s"], row["total_rss_mib"]]
        print(f"| {name} | " + " | ".join(str(c) for c in cells) + " | |")
    out = REPO / "bench" / "results" / f"vllm_child-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {"bench": "vllm_child", "burners": args.burners, "load": os.getloadavg(), "rows": rows}, indent=1
        )
    )
    print(f"written: {out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=ENV_JSON[|ARGS]")
    parser.add_argument("--burners", type=int, default=0, help="busy loops beside the child")
    parser.add_argument("--tokens", type=int, default=150)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
