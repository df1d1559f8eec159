"""Engine benchmark: naive fp32 `generate`, static batching and the AsyncEngine, one process, same prompts.

Run `python -m bench.engine` (about 5-10 minutes on the 2-core CPU) or `--quick` (a smoke run).
Prints a table and writes JSON under bench/results/. Phases run in this order so that the peak RSS
after the engine phases is the serve process's (engine model only): engine, static batch, naive.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from bot.brief import make_brief
from bot.catalog import Catalog
from bot.config import load_config
from bot.prompts import build_messages
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel, load_model
from engine.config import EngineConfig, ModelConfig
from engine.types import GenerationRequest, SamplingParams, TextDelta

RESULTS_DIR = Path(__file__).resolve().parent / "results"

PRODUCTS = (
    ("Launch of our oat-milk cold brew, now in every store", "food_beverage"),
    ("Our budgeting app adds automatic savings goals", "finance"),
    ("Spring sale: 30% off all running shoes this weekend", "retail"),
    ("Free webinar on zero-trust security for small teams", "technology"),
    ("New beachfront suites open at our Lisbon hotel", "travel_hospitality"),
    ("Open house this Saturday: three-bedroom home with garden", "real_estate"),
    ("Enrolment opens for our evening data-science bootcamp", "education"),
    ("Volunteer drive for the city food bank this month", "nonprofit"),
)
STYLES = (("linkedin", "professional"), ("instagram", "casual"), ("x", "witty"), ("facebook", "persuasive"))


# ---- prompts and measurement helpers -------------------------------------------------------------


def brief_messages(count: int) -> list[list[dict[str, str]]]:
    """`count` chat prompts built from marketing briefs, the way the bot builds them."""
    config = load_config()
    catalog = Catalog.from_config(config)
    out: list[list[dict[str, str]]] = []
    for i in range(count):
        product, industry = PRODUCTS[i % len(PRODUCTS)]
        plat, tone = STYLES[(i // len(PRODUCTS)) % len(STYLES)]
        raw = {"prompt": product, "platform": plat, "tone": tone, "industry": industry}
        out.append(build_messages(make_brief(raw, catalog, config.engine), catalog))
    return out


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation (q in 0..100)."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Run:
    """One measured scenario. Times are per request, from its arrival."""

    name: str
    system: str
    requests: int
    tokens: int
    wall_s: float
    ttft_s: list[float]
    e2e_s: list[float]
    peak_rss_mb: float = field(default_factory=peak_rss_mb)
    load_avg: float = field(default_factory=lambda: os.getloadavg()[0])
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tok_s(self) -> float:
        return self.tokens / self.wall_s

    @property
    def req_s(self) -> float:
        return self.requests / self.wall_s

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "system": self.system,
            "requests": self.requests,
            "tokens": self.tokens,
            "wall_s": round(self.wall_s, 3),
            "tok_s": round(self.tok_s, 2),
            "req_s": round(self.req_s, 3),
            "ttft_p50_s": round(pct(self.ttft_s, 50), 3),
            "ttft_p99_s": round(pct(self.ttft_s, 99), 3),
            "e2e_p50_s": round(pct(self.e2e_s, 50), 3),
            "e2e_p99_s": round(pct(self.e2e_s, 99), 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "load_avg_1m": round(self.load_avg, 2),
            "note": self.note,
            **self.extra,
        }


class FirstLogits(LogitsProcessor):
    """Records when `generate` first asks for a token: the end of prefill (time to first token)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.at is None:
            self.at = time.perf_counter()
        return scores


def encode(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return list(ids if isinstance(ids, list) else ids["input_ids"])


def hf_generate(loaded: LoadedModel, prompts: list[list[int]], new_tokens: int) -> tuple[float, float]:
    """One plain batched greedy `generate` (left padding, EOS suppressed); returns (ttft, total) s."""
    tok = loaded.tokenizer
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, p in enumerate(prompts):
        ids[row, width - len(p) :] = torch.tensor(p)
        mask[row, width - len(p) :] = 1
    first = FirstLogits()
    started = time.perf_counter()
    with torch.inference_mode():
        out = loaded.model.generate(
            input_ids=ids.to(loaded.device),
            attention_mask=mask.to(loaded.device),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            logits_processor=LogitsProcessorList([first]),
        )
    total = time.perf_counter() - started
    assert out.shape[1] - width == new_tokens
    return (first.at or started) - started, total


# ---- the scenarios -------------------------------------------------------------------------------


async def engine_run(
    eng: AsyncEngine,
    name: str,
    messages: list[list[dict[str, str]]],
    new_tokens: list[int],
    arrivals: list[float] | None = None,
    note: str = "",
) -> Run:
    """Send every request at its arrival offset (all at once by default) and stream it to the end."""
    arrivals = arrivals or [0.0] * len(messages)
    ttft: list[float] = [0.0] * len(messages)
    e2e: list[float] = [0.0] * len(messages)
    produced = [0] * len(messages)
    worker_ttft = [0.0] * len(messages)
    origin = time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, origin + arrivals[i] - time.perf_counter()))
        params = SamplingParams(max_new_tokens=new_tokens[i], temperature=0.0, ignore_eos=True)
        sent = time.perf_counter()
        async for event in eng.stream(GenerationRequest(messages=messages[i], params=params)):
            if isinstance(event, TextDelta):
                if not ttft[i]:
                    ttft[i] = time.perf_counter() - sent
            else:
                produced[i] = event.completion_tokens
                worker_ttft[i] = event.ttft_s
        e2e[i] = time.perf_counter() - sent

    await asyncio.gather(*(one(i) for i in range(len(messages))))
    wall = time.perf_counter() - origin
    # The engine's own TTFT (submit -> first token chosen in the worker) tells queueing in the worker
    # apart from delivery to the event loop.
    extra = {"ttft_worker_p50_s": round(pct(worker_ttft, 50), 3)}
    return Run(name, "engine", len(messages), sum(produced), wall, ttft, e2e, note=note, extra=extra)


async def engine_sequential(eng: AsyncEngine, name: str, messages: list[list[dict[str, str]]],
                            new_tokens: int) -> Run:
    """Concurrency 1: each request is sent when the previous one has finished."""
    runs = [await engine_run(eng, name, [m], [new_tokens]) for m in messages]
    return Run(name, "engine", len(runs), sum(r.tokens for r in runs), sum(r.wall_s for r in runs),
               [r.ttft_s[0] for r in runs], [r.e2e_s[0] for r in runs], note="one request at a time")


def static_run(loaded: LoadedModel, name: str, prompts: list[list[int]], new_tokens: int) -> Run:
    """All requests in one batched `generate`: everyone gets the first token after the joint prefill
    and the whole result when the batch ends."""
    ttft, total = hf_generate(loaded, prompts, new_tokens)
    n = len(prompts)
    return Run(name, "static", n, n * new_tokens, total, [ttft] * n, [total] * n)


def naive_run(loaded: LoadedModel, name: str, prompts: list[list[int]], new_tokens: int,
              measured: int) -> Run:
    """One fp32 `generate` per request, in arrival order. Only `measured` requests are timed; the
    queue of all len(prompts) requests arriving at t=0 is simulated by cycling their service times."""
    services: list[tuple[float, float]] = [hf_generate(loaded, [p], new_tokens) for p in prompts[:measured]]
    clock = 0.0
    ttft: list[float] = []
    e2e: list[float] = []
    for i in range(len(prompts)):
        first, total = services[i % len(services)]
        ttft.append(clock + first)
        clock += total
        e2e.append(clock)
    note = (f"{measured} of {len(prompts)} requests timed; the rest scaled from their mean "
            "(queue of all arriving at t=0 simulated)") if measured < len(prompts) else ""
    return Run(name, "naive-fp32", len(prompts), len(prompts) * new_tokens, clock, ttft, e2e, note=note,
               extra={"service_s_mean": round(sum(s[1] for s in services) / len(services), 3),
                      "service_ttft_s_mean": round(sum(s[0] for s in services) / len(services), 3)})


# ---- driver --------------------------------------------------------------------------------------


@dataclass
class Plan:
    new_tokens: int
    sizes: tuple[int, ...]
    single_reps: int
    staggered: int
    mean_gap_s: float
    mixed: int
    mixed_short: int
    mixed_long: int
    naive_measured: int


FULL = Plan(new_tokens=96, sizes=(8, 32), single_reps=3, staggered=16, mean_gap_s=0.25, mixed=16,
            mixed_short=32, mixed_long=256, naive_measured=4)
QUICK = Plan(new_tokens=16, sizes=(4, 8), single_reps=1, staggered=4, mean_gap_s=0.25, mixed=4,
             mixed_short=8, mixed_long=32, naive_measured=1)


async def run_engine_phases(loaded: LoadedModel, plan: Plan, messages: list[list[dict[str, str]]],
                            log: logging.Logger) -> list[Run]:
    runs: list[Run] = []
    eng = AsyncEngine(loaded, EngineConfig(max_batch_size=64, max_queue=256, request_timeout_s=600))
    try:
        # Warm up at full length: the first bf16 steps at new sequence lengths pay a one-off kernel
        # set-up, which the HF baselines (run later, same prompts) would otherwise be spared.
        await engine_run(eng, "warm-up", messages[:2], [plan.new_tokens] * 2)
        log.info("engine: concurrency 1")
        runs.append(await engine_sequential(eng, "engine c=1", messages[: plan.single_reps], plan.new_tokens))
        for size in plan.sizes:
            log.info("engine: %d at once", size)
            runs.append(await engine_run(eng, f"engine c={size}", messages[:size], [plan.new_tokens] * size,
                                         note="all at once"))
        rng = random.Random(7)
        offsets, t = [], 0.0
        for _ in range(plan.staggered):
            offsets.append(t)
            t += rng.expovariate(1 / plan.mean_gap_s)
        log.info("engine: %d staggered (Poisson, mean gap %.2fs)", plan.staggered, plan.mean_gap_s)
        runs.append(await engine_run(
            eng, f"engine staggered {plan.staggered}", messages[: plan.staggered],
            [plan.new_tokens] * plan.staggered, offsets,
            note=f"Poisson arrivals, mean gap {plan.mean_gap_s}s, last at {offsets[-1]:.2f}s"))
        lengths = [plan.mixed_short if i % 2 == 0 else plan.mixed_long for i in range(plan.mixed)]
        log.info("engine: mixed lengths %s", sorted(set(lengths)))
        mixed = await engine_run(eng, f"engine mixed {plan.mixed}", messages[: plan.mixed], lengths,
                                 note=f"half {plan.mixed_short}, half {plan.mixed_long} new tokens, at once")
        short = [e for e, n in zip(mixed.e2e_s, lengths, strict=True) if n == plan.mixed_short]
        mixed.extra["short_done_p50_s"] = round(pct(short, 50), 3)
        mixed.extra["short_done_max_s"] = round(max(short), 3)
        runs.append(mixed)
        runs[-1].extra["serve_rss_mb"] = round(current_rss_mb(), 1)
    finally:
        await eng.shutdown()
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny sizes (under a minute)")
    parser.add_argument("--tokens", type=int, help="new tokens per request (default 96)")
    parser.add_argument("--naive", type=int, help="naive fp32 requests actually timed (the rest are scaled)")
    parser.add_argument("--dtype", default="auto", help="engine dtype (auto: bf16 on CPUs with bf16 units)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the engine's device from config)")
    parser.add_argument("--source", default="embedded", help="model source (default: the embedded model)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    log = logging.getLogger("bench")
    for noisy in ("transformers", "httpx", "engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    plan = QUICK if args.quick else FULL
    if args.tokens:
        plan.new_tokens = args.tokens
    if args.naive:
        plan.naive_measured = args.naive
    biggest = max((*plan.sizes, plan.staggered, plan.mixed))
    messages = brief_messages(biggest)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]

    loaded = load_model(ModelConfig(source=args.source, dtype=args.dtype, device=args.device))
    log.info("engine model: %s on %s (%s)", loaded.dtype, loaded.device, loaded.dtype_reason)
    prompts = [encode(loaded.tokenizer, m) for m in messages]
    runs = asyncio.run(run_engine_phases(loaded, plan, messages, log))
    serve_peak = peak_rss_mb()

    dtype = str(loaded.dtype).removeprefix("torch.")
    hf_generate(loaded, prompts[:2], 4)  # warm-up
    log.info("bare %s generate, one request", dtype)
    single = [hf_generate(loaded, [p], plan.new_tokens) for p in prompts[: plan.single_reps]]
    runs.append(Run(f"bare {dtype} generate c=1", "static", len(single), len(single) * plan.new_tokens,
                    sum(s[1] for s in single), [s[0] for s in single], [s[1] for s in single],
                    note="one request at a time"))
    for size in plan.sizes:
        log.info("static batch of %d", size)
        runs.append(static_run(loaded, f"static {dtype} batch {size}", prompts[:size], plan.new_tokens))
    log.info("static mixed batch of %d", plan.mixed)
    ttft, total = hf_generate(loaded, prompts[: plan.mixed], plan.mixed_long)
    mixed_tokens = sum(plan.mixed_short if i % 2 == 0 else plan.mixed_long for i in range(plan.mixed))
    runs.append(Run(f"static mixed {plan.mixed}", "static", plan.mixed, mixed_tokens, total,
                    [ttft] * plan.mixed, [total] * plan.mixed,
                    note=f"one batch to {plan.mixed_long} tokens; short requests return at the end",
                    extra={"short_done_p50_s": round(total, 3), "short_done_max_s": round(total, 3)}))
    del loaded

    naive_model = load_model(ModelConfig(source=args.source, dtype="float32", device=args.device))
    hf_generate(naive_model, prompts[:1], 4)  # warm-up
    size = max(plan.sizes)
    log.info("naive fp32: %d of %d requests timed", min(plan.naive_measured, size), size)
    runs.append(naive_run(naive_model, f"naive fp32 x{size}", prompts[:size], plan.new_tokens,
                          min(plan.naive_measured, size)))

    report = build_report(runs, plan, dtype, serve_peak, args, time.perf_counter() - started, load_start)
    print(render(report))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"engine-{'quick-' if args.quick else ''}{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {path}")
    return 0


def build_report(runs: list[Run], plan: Plan, dtype: str, serve_peak: float, args: argparse.Namespace,
                 seconds: float, load_start: float) -> dict[str, Any]:
    """Rows with ratios against the naive baseline and the static batch of the same size, plus targets."""
    by_name = {r.name: r for r in runs}
    naive = next(r for r in runs if r.system == "naive-fp32")
    rows = []
    for r in runs:
        row = r.summary()
        row["x_naive_tok_s"] = round(r.tok_s / naive.tok_s, 2)
        static_peer = None
        if r.system == "engine":
            if r.name == "engine c=1":
                static_peer = by_name.get(f"bare {dtype} generate c=1")
            elif r.name.startswith("engine c="):
                static_peer = by_name.get(f"static {dtype} batch {r.name.split('=')[1]}")
            elif r.name.startswith("engine mixed"):
                static_peer = by_name.get(f"static mixed {plan.mixed}")
        if static_peer is not None:
            row["vs_static"] = static_peer.name
            row["x_static_tok_s"] = round(r.tok_s / static_peer.tok_s, 2)
        rows.append(row)

    big = max(plan.sizes)
    eng_big, static_big = by_name[f"engine c={big}"], by_name[f"static {dtype} batch {big}"]
    single, bare = by_name["engine c=1"], by_name[f"bare {dtype} generate c=1"]
    stag = by_name[f"engine staggered {plan.staggered}"]
    mixed_e, mixed_s = by_name[f"engine mixed {plan.mixed}"], by_name[f"static mixed {plan.mixed}"]
    single_ratio = pct(single.e2e_s, 50) / pct(bare.e2e_s, 50)
    short_speedup = mixed_s.extra["short_done_p50_s"] / mixed_e.extra["short_done_p50_s"]
    targets: dict[str, tuple[float, str, float]] = {
        f"c={big} tok/s vs naive (15x; stretch 25x)": (eng_big.tok_s / naive.tok_s, ">=", 15.0),
        f"c={big} tok/s vs static batch {big}": (eng_big.tok_s / static_big.tok_s, ">=", 1.0),
        "staggered p50 TTFT s": (pct(stag.ttft_s, 50), "<", 0.5),
        "mixed: short done, static p50 / engine p50": (short_speedup, ">=", 2.0),
        "single request latency / bare generate": (single_ratio, "<=", 1.1),
        "single request tok/s (stretch)": (single.tok_s, ">=", 80.0),
        "serve-process peak RSS MB": (serve_peak, "<", 1500.0),
    }
    checks = {">=": lambda v, b: v >= b, "<": lambda v, b: v < b, "<=": lambda v, b: v <= b}
    met = {key: {"value": round(value, 3), "op": op, "target": bound, "met": checks[op](value, bound)}
           for key, (value, op, bound) in targets.items()}
    return {
        "benchmark": "engine",
        "quick": args.quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "python": platform.python_version(), "torch": torch.__version__,
                    "load_avg_at_start": round(load_start, 2),
                    "load_avg_at_end": round(os.getloadavg()[0], 2)},
        "engine_dtype": dtype,
        "device": args.device,
        "model_source": args.source,
        "plan": asdict(plan),
        "serve_peak_rss_mb": round(serve_peak, 1),
        "runtime_s": round(seconds, 1),
        "rows": rows,
        "targets": met,
        "notes": [
            "TTFT/e2e are per request from its own arrival; engine times are measured by the client "
            "(first streamed delta, end of stream).",
            "static batch: every request gets its first token after the joint prefill and its whole "
            "result when the batch finishes.",
            "peak RSS is monotonic for the process: engine phases run first, so their figure is the "
            "serve process's (one bf16 model); later rows include the static runs and the fp32 copy.",
            "load_avg_1m > cores means other processes shared the CPU during that row.",
        ],
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def render(report: dict[str, Any]) -> str:
    """The table the issue asks for, plus target verdicts."""
    head = (f"{'run':<28}{'req':>4}{'tok':>6}{'wall s':>8}{'tok/s':>8}{'req/s':>7}{'TTFT50':>9}{'TTFT99':>9}"
            f"{'e2e50':>9}{'e2e99':>9}{'RSS MB':>8}{'xnaive':>8}{'xstatic':>8}{'load':>6}")
    lines = [f"engine benchmark: {report['machine']['cpu']} ({report['machine']['cores']} cores), "
             f"engine dtype {report['engine_dtype']}, {report['plan']['new_tokens']} new tokens", head,
             "-" * len(head)]
    for r in report["rows"]:
        lines.append(
            f"{r['name']:<28}{r['requests']:>4}{r['tokens']:>6}{r['wall_s']:>8.2f}{r['tok_s']:>8.1f}"
            f"{r['req_s']:>7.2f}{r['ttft_p50_s']:>9.3f}{r['ttft_p99_s']:>9.3f}{r['e2e_p50_s']:>9.2f}"
            f"{r['e2e_p99_s']:>9.2f}{r['peak_rss_mb']:>8.0f}{r['x_naive_tok_s']:>8.2f}"
            f"{r.get('x_static_tok_s', float('nan')):>8.2f}{r['load_avg_1m']:>6.1f}"
        )
        if r["note"]:
            lines.append(f"    {r['note']}")
        if "short_done_p50_s" in r:
            lines.append(f"    short requests done: p50 {r['short_done_p50_s']:.2f}s, "
                         f"max {r['short_done_max_s']:.2f}s")
    lines.append("")
    lines.append("targets:")
    for key, t in report["targets"].items():
        verdict = "met " if t["met"] else "MISS"
        lines.append(f"  [{verdict}] {key}: {t['value']} (target {t['op']} {t['target']})")
    lines.append(f"serve-process peak RSS {report['serve_peak_rss_mb']:.0f} MB; "
                 f"run took {report['runtime_s']:.0f}s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
