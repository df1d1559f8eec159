"""`python -m bench.learn_latency`: draft latency while a training process runs, against idle, in one run
(issue 19: a scheduled learning run must not stop a replica serving drafts).

The serving side is the real in-process engine (transformers, the configured model and shipped
adapter) writing whole drafts through DraftService (best-of-n, post-processing), one at a time. The
training side is a real `postpulse train` child (SFT with LoRA on the starter set, short sequences, one
example per optimizer step, writing to a temporary folder), started the way the schedule starts
`postpulse learn`: under `nice -n NICE`. Phases, each `--drafts` drafts:

    idle -> training at nice NICE [-> training at nice 0 (--with-nice0)] -> idle again

A training phase measures only once the child has finished its first optimizer step (it is really
stepping), and counts only if the child is still training when the phase ends. Within it, drafts
alternate between the child running and the child stopped (SIGSTOP): on a shared machine whose load
drifts, that pair (`p50_s` against `paused_p50_s`) is the in-run baseline to quote; the idle phases
before and after bracket it.

    .venv/bin/python -m bench.learn_latency [--drafts 6] [--nice 10] [--max-length 64]

Results: bench/results/learn_latency-<timestamp>.json, and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bot.catalog import Catalog
from bot.config import load_config
from bot.drafts import DraftService
from engine.backends.transformers.async_engine import start_engine

REPO = Path(__file__).resolve().parent.parent
STEPPING = re.compile(rb"'loss'|\b[1-9]\d*/100000\b")  # a logged loss, or the progress bar past step 0
PRODUCTS = [
    "Our bakery's new sourdough loaf",
    "A bike shop's spring tune-up offer",
    "A yoga studio opening a second room",
    "A coffee roaster's single-origin Ethiopian beans",
    "A bookshop's Saturday author signing",
    "A dental clinic's new evening hours",
    "A florist's Mother's Day bouquets",
    "A gym's 5am classes starting Monday",
    "A hardware store's free key-cutting week",
    "A pet groomer's new mobile van",
]


def train_command(out: Path, nice: int) -> list[str]:
    cmd = [sys.executable, "-m", "adapters.cli", "train"]
    for key, value in {
        "output_dir": out / "adapter",
        "run_dir": out / "run",
        "save_steps": 100000,
        "max_seq_length": 256,
        "hyper.max_steps": 100000,
        "hyper.per_device_train_batch_size": 1,
        "hyper.gradient_accumulation_steps": 1,
    }.items():
        cmd += ["--set", f"{key}={value}"]
    nice_bin = shutil.which("nice")
    return [nice_bin, "-n", str(nice), *cmd] if nice_bin else cmd


async def drafts(service: DraftService, count: int, max_length: int, offset: int) -> list[float]:
    seconds = []
    for i in range(count):
        product = PRODUCTS[(offset + i) % len(PRODUCTS)]
        # greedy: the same brief is the same work each time, so only the machine's state differs
        raw = {"prompt": product, "platform": "linkedin", "max_length": max_length, "temperature": 0}
        brief = service.brief(raw)
        started = time.perf_counter()
        await service.create(brief)
        seconds.append(time.perf_counter() - started)
    return seconds


async def training_phase(
    service: DraftService, nice: int, args: argparse.Namespace, offset: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="postpulse-bench-train-") as tmp:
        log_path = Path(tmp) / "train.log"
        with log_path.open("wb") as log_file:
            proc = await asyncio.create_subprocess_exec(
                *train_command(Path(tmp), nice),
                cwd=REPO,
                stdout=log_file,
                stderr=log_file,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its loss lines, as they come
            )
            started = time.perf_counter()
            while not STEPPING.search(log_path.read_bytes()):
                if proc.returncode is not None or time.perf_counter() - started > args.train_start_s:
                    proc.kill()
                    await proc.wait()
                    tail = log_path.read_bytes()[-600:].decode(errors="replace")
                    raise SystemExit(f"the training child did not start stepping: {tail}")
                await asyncio.sleep(1)
            warmup = time.perf_counter() - started
            # Interleaved: a draft while the child trains, then one while it is stopped (SIGSTOP: no
            # CPU, same memory), and so on: both series see the same drift in the machine's load.
            training: list[float] = []
            paused: list[float] = []
            for i in range(args.drafts):
                proc.send_signal(signal.SIGCONT)
                training += await drafts(service, 1, args.max_length, offset + i)
                proc.send_signal(signal.SIGSTOP)
                paused += await drafts(service, 1, args.max_length, offset + i)  # the same brief
            proc.send_signal(signal.SIGCONT)
            still_training = proc.returncode is None
            proc.kill()
            await proc.wait()
    return {
        "nice": nice,
        "training_started_s": round(warmup, 1),
        "still_training_at_end": still_training,
        "seconds": [round(s, 3) for s in training],
        "p50_s": round(statistics.median(training), 3),
        "p90_s": round(percentile(training, 0.9), 3),
        "paused_seconds": [round(s, 3) for s in paused],
        "paused_p50_s": round(statistics.median(paused), 3),
        "p50_ratio_training_to_paused": round(statistics.median(training) / statistics.median(paused), 3),
    }


def idle_phase(seconds: list[float]) -> dict[str, Any]:
    return {
        "seconds": [round(s, 3) for s in seconds],
        "p50_s": round(statistics.median(seconds), 3),
        "p90_s": round(percentile(seconds, 0.9), 3),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    config = load_config(args.config)
    engine = await start_engine(None, config.engine, config.model)
    try:
        service = DraftService.build(engine, Catalog.from_config(config), config)
        await drafts(service, 1, args.max_length, 0)  # warm
        load_before = os.getloadavg()
        idle = idle_phase(await drafts(service, args.drafts, args.max_length, 0))
        niced = await training_phase(service, args.nice, args, 0)
        plain = await training_phase(service, 0, args, 0) if args.nice and args.with_nice0 else None
        idle_after = idle_phase(await drafts(service, args.drafts, args.max_length, 0))
    finally:
        await engine.shutdown()
    return {
        "bench": "learn_latency",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": engine.model_name,
        "adapter": config.model.adapter,
        "max_length": args.max_length,
        "drafts_per_phase": args.drafts,
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "idle": idle,
        f"training_nice_{args.nice}": niced,
        "training_nice_0": plain,
        "idle_after": idle_after,
    }


def run() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drafts", type=int, default=6)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--train-start-s", type=float, default=600)
    parser.add_argument("--with-nice0", action="store_true", help="also measure a training child at nice 0")
    parser.add_argument("--config", help="app config (default configs/default.yaml)")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    out = REPO / "bench" / "results" / f"learn_latency-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'phase':<22} {'p50 s':>7} {'p90 s':>7}")
    for key in ("idle", f"training_nice_{args.nice}", "training_nice_0", "idle_after"):
        phase = result.get(key)
        if phase:
            paused = (
                f"  (child paused, interleaved: p50 {phase['paused_p50_s']:.2f})"
                if "paused_p50_s" in phase
                else ""
            )
            print(f"{key:<22} {phase['p50_s']:>7.2f} {phase['p90_s']:>7.2f}{paused}")
    print(f"loadavg before {result['loadavg_before']}, after {result['loadavg_after']}; results: {out}")


if __name__ == "__main__":
    run()
