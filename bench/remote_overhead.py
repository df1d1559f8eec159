"""What the remote (`openai`) backend adds to each request over bare vLLM on the same server.

One vLLM server (the managed CPU child, serving the embedded model) answers three clients in one run,
one request at a time, in rotating order so drift hits all of them alike:

  bare     a plain aiohttp stream to vLLM's /v1/chat/completions (the baseline)
  backend  PostPulse's `openai` backend (engine.backends.openai.OpenAIEngine.stream), what the bot
           core calls when PostPulse talks to a vLLM fleet
  sidecar  PostPulse's HTTP sidecar (/v1/chat/completions) on that backend: HTTP in, SSE re-encoded out

Same chat messages (PostPulse's prompts), greedy, `--tokens` new tokens with EOS ignored, so every
request does the same work. The table gives p50 latency and time to first token, and the added
milliseconds per request as the median of paired differences against bare. Run:
`python -m bench.remote_overhead` (needs .venv-vllm: scripts/setup-vllm.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from adapters.runtime import build_runtime
from bench.backends import one
from bot.brief import make_brief
from bot.catalog import Catalog
from bot.config import AppConfig, load_config
from bot.prompts import build_messages
from engine.backends.openai import OpenAIEngine
from engine.backends.vllm import VllmEngine
from engine.config import OpenAIConfig
from engine.types import GenerationRequest, GenerationResult, SamplingParams, TextDelta

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BRIEFS = (
    ("Launch of our oat-milk cold brew, now in every store", "instagram", "casual"),
    ("Our budgeting app adds automatic savings goals", "linkedin", "professional"),
    ("Spring sale: 30% off every running shoe this weekend", "x", "fomo"),
    ("We opened a second clinic downtown", "facebook", "empathetic"),
)
KEY_ENV = "BENCH_VLLM_KEY"
Timed = tuple[float, float]  # (seconds for the whole request, seconds to the first text)
Client = Callable[[dict[str, Any]], Awaitable[Timed]]


async def via_backend(engine: OpenAIEngine, body: dict[str, Any]) -> Timed:
    params = SamplingParams(max_new_tokens=body["max_tokens"], temperature=0.0, ignore_eos=True)
    request = GenerationRequest(messages=body["messages"], params=params)
    started = time.perf_counter()
    first: float | None = None
    async for event in engine.stream(request):
        if first is None and isinstance(event, TextDelta) and event.text:
            first = time.perf_counter() - started
        if isinstance(event, GenerationResult):
            assert event.completion_tokens == body["max_tokens"], event.completion_tokens
    total = time.perf_counter() - started
    return total, first if first is not None else total


async def via_http(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Timed:
    started = time.perf_counter()
    tokens, first = await one(session, url, body)
    assert tokens == body["max_tokens"], tokens
    return time.perf_counter() - started, first


def bodies(config: AppConfig, catalog: Catalog, tokens: int, count: int) -> list[dict[str, Any]]:
    """PostPulse's own chat messages for `count` briefs, as OpenAI request bodies."""
    out = []
    for i in range(count):
        prompt, platform_name, tone = BRIEFS[i % len(BRIEFS)]
        raw = {"prompt": prompt, "platform": platform_name, "tone": tone}
        brief = make_brief(raw, catalog, config.engine)
        out.append(
            {
                "messages": build_messages(brief, catalog),
                "max_tokens": tokens,
                "temperature": 0.0,
                "ignore_eos": True,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
    return out


def p50_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    catalog = Catalog.from_config(config)
    work = bodies(config, catalog, args.tokens, args.requests)
    print("starting the managed vLLM child (35-100 s on a 2-core CPU) ...", file=sys.stderr)
    vllm = await VllmEngine(config.model.model_copy(update={"adapter": None}), config.engine).start()
    base_url = f"http://127.0.0.1:{vllm.port}/v1"
    remote = OpenAIConfig(base_url=base_url, model=vllm.model_name, api_key_env=KEY_ENV, retries=0)
    backend = await OpenAIEngine(remote, config.engine, env={KEY_ENV: vllm.child_key}).start()
    # the sidecar borrows the backend
    runtime = build_runtime(config, {}, host="127.0.0.1", port=0, grace_s=1, engine=backend, catalog=catalog)
    timeout = aiohttp.ClientTimeout(total=600)
    headers = {"Authorization": f"Bearer {vllm.child_key}"}
    try:
        async with (
            runtime as running,
            aiohttp.ClientSession(timeout=timeout, headers=headers) as bare_session,
            aiohttp.ClientSession(timeout=timeout) as sidecar_session,
        ):
            named = [{**body, "model": vllm.model_name} for body in work]
            clients: dict[str, Client] = {
                "bare": lambda b: via_http(bare_session, f"{base_url}/chat/completions", b),
                "backend": lambda b: via_backend(backend, b),
                "sidecar": lambda b: via_http(
                    sidecar_session, f"{running.url}/v1/chat/completions", b
                ),
            }
            for client in clients.values():  # warm-up: connections, first-use kernels
                await client(named[0])
            results: dict[str, list[Timed]] = {name: [] for name in clients}
            order = list(clients)
            for i in range(args.rounds * len(named)):
                body = named[i % len(named)]
                for name in order[i % 3 :] + order[: i % 3]:  # rotate who goes first
                    results[name].append(await clients[name](body))
    finally:
        await backend.shutdown()
        await vllm.shutdown()
    report(results, args)
    return 0


def report(results: dict[str, list[Timed]], args: argparse.Namespace) -> None:
    bare = results["bare"]
    print(f"\n{args.tokens} tokens per request, {len(bare)} requests per client, one at a time\n")
    print(f"{'client':<9} {'p50 latency':>12} {'p50 TTFT':>10} {'added (paired p50)':>19} {'ratio':>7}")
    summary: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        added = [run[0] - base[0] for run, base in zip(runs, bare, strict=True)]
        added_ttft = [run[1] - base[1] for run, base in zip(runs, bare, strict=True)]
        row = {
            "p50_latency_ms": p50_ms([r[0] for r in runs]),
            "p50_ttft_ms": p50_ms([r[1] for r in runs]),
            "added_ms_p50": p50_ms(added),
            "added_ttft_ms_p50": p50_ms(added_ttft),
        }
        row["ratio"] = row["p50_latency_ms"] / p50_ms([b[0] for b in bare])
        summary[name] = row
        print(
            f"{name:<9} {row['p50_latency_ms']:>9.1f} ms {row['p50_ttft_ms']:>7.1f} ms "
            f"{row['added_ms_p50']:>+16.1f} ms {row['ratio']:>7.3f}"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"remote_overhead-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {"args": vars(args), "machine": platform.processor() or platform.machine(), **summary}, indent=2
        )
    )
    print(f"\nwritten to {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="YAML config (default: configs/default.yaml)")
    parser.add_argument("--tokens", type=int, default=32, help="new tokens per request (EOS ignored)")
    parser.add_argument("--requests", type=int, default=4, help="distinct briefs")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the briefs")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
