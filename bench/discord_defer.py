"""Discord benchmark: how fast `/postpulse` is acknowledged (deferred) while the engine is saturated.
The baseline, the same commands with the engine idle, is measured in the same run.

Run `python -m bench.discord_defer` from the repo root (a few minutes on the 2-core CPU; `--quick` for
a smoke run). It drives the stack the tests use: the real discord.py client over loopback to the fake
Discord in tests/fakes (REST + gateway), the real Assistant with a SQLite store, the configured model.
Latency is from the INTERACTION_CREATE frame leaving the fake gateway to the fake receiving the
deferred callback (what Discord's 3-second limit measures, minus the network).

1. idle: commands one every `--gap` seconds; each starts a short draft.
2. saturated: the engine's batch full and requests waiting (background generations kept topped up),
   and every command itself starting a draft on top.
3. queue full: the same, on an engine whose queue is full, so every command is refused as busy
   (the private "busy — try again in N s" reply follows the defer).

Prints a table and writes JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bot.config import AppConfig, load_config
from engine.backends.transformers.async_engine import AsyncEngine, start_engine
from engine.config import EngineConfig
from engine.types import GenerationRequest, SamplingParams
from tests.adapters.discord.support import running, tuned

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DISCORD_LIMIT_S = 3.0


class Load:
    """Background generations that keep the engine's batch full and `waiting` requests queued."""

    def __init__(self, engine: AsyncEngine, waiting: int, tokens: int) -> None:
        self.engine, self.stopping = engine, asyncio.Event()
        request = GenerationRequest(
            messages=[{"role": "user", "content": "Write a long product description for a bicycle."}],
            params=SamplingParams(max_new_tokens=tokens, temperature=0.8),
        )
        width = engine.config.max_batch_size + waiting
        self.tasks = [asyncio.create_task(self._worker(request)) for _ in range(width)]

    async def _worker(self, request: GenerationRequest) -> None:
        while not self.stopping.is_set():
            try:
                await self.engine.generate(request)
            except Exception:
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.stopping.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def defer_latencies(
    config: AppConfig, engine: AsyncEngine, commands: int, gap_s: float, load: Load | None = None
) -> list[float]:
    """Send `commands` /postpulse commands; each one's time to the deferred callback. Then stop the
    load and let every draft finish, so nothing is cut off when the bot stops."""
    with tempfile.TemporaryDirectory() as tmp:
        async with running(config, engine, Path(tmp) / "drafts.db") as h:
            fake = h.fake

            def answered(cmd: dict[str, Any]) -> bool:
                """The draft landed (buttons), or a private reply said why not."""
                return any(
                    m["components"] or (m["flags"] & 64 and m["content"]) for m in fake.messages_for(cmd)
                )

            # One draft first, so first-call costs (chat template, store, discord.py) stay out of the numbers.
            warm = await h.send(fake.command("postpulse", {"prompt": "length:16 warm-up"}))
            await fake.wait_for(lambda: answered(warm), timeout=900)  # a draft, or "busy" when full
            sent_cmds: list[dict[str, Any]] = []

            async def one(i: int) -> float:
                await asyncio.sleep(i * gap_s)
                cmd = fake.command(
                    "postpulse",
                    {"prompt": f"length:16 A post about product {i}"},
                    user_id=f"22000000000{i:05d}",
                )
                sent_cmds.append(cmd)
                sent = time.monotonic()
                await fake.send_interaction(cmd)
                [callback] = await fake.wait_for(lambda: fake.callbacks_for(cmd), timeout=60)
                return callback.at - sent

            latencies = list(await asyncio.gather(*(one(i) for i in range(commands))))
            if load is not None:
                await load.stop()

            await fake.wait_for(lambda: all(answered(c) for c in sent_cmds), timeout=1800)
            return latencies


async def measured_under_load(
    config: AppConfig, engine: AsyncEngine, args: argparse.Namespace, waiting: int
) -> tuple[list[float], int | None]:
    load = Load(engine, waiting, args.saturate_tokens)
    await asyncio.sleep(3)  # let the batch fill
    queued = engine.health().get("waiting")
    try:
        return await defer_latencies(config, engine, args.commands, args.gap, load), queued
    finally:
        await load.stop()


def summary(values: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "p50_s": percentile(values, 0.5),
        "p99_s": percentile(values, 0.99),
        "max_s": max(values),
        "n": len(values),
        **extra,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    base = load_config(env={})
    config = tuned(base)
    # A batch small enough that a saturated engine still finishes the commands' drafts in minutes.
    limits = base.engine.model_copy(
        update={"max_batch_size": args.batch, "max_queue": 64, "request_timeout_s": 900}
    )
    engine = await start_engine(None, limits, base.model)
    assert isinstance(engine, AsyncEngine), "this bench drives the in-process engine"
    try:
        idle = await defer_latencies(config, engine, args.commands, args.gap)
        saturated, waiting = await measured_under_load(config, engine, args, waiting=args.batch)
        full_engine = AsyncEngine(engine.loaded, EngineConfig(max_batch_size=args.batch, max_queue=4))
        try:  # queue room 4, and the load keeps it full
            full, full_waiting = await measured_under_load(config, full_engine, args, waiting=4 + 4)
        finally:
            await full_engine.shutdown()
    finally:
        await engine.shutdown()
    return {
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "model": engine.model_name,
        "load_1min": round(os.getloadavg()[0], 1),
        "defer": {
            "idle": summary(idle),
            "saturated": summary(saturated, engine_waiting_at_start=waiting),
            "queue_full": summary(full, engine_waiting_at_start=full_waiting),
        },
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        f"Discord bench — {result['machine']}, {result['model']}, load {result['load_1min']}",
        "",
        "defer latency (/postpulse -> deferred callback)   p50 ms   p99 ms   max ms   x idle p50 / p99",
    ]
    idle = result["defer"]["idle"]
    labels = {
        "idle": "engine idle (baseline)",
        "saturated": "engine saturated ({w} waiting)",
        "queue_full": "queue full ({w} waiting): busy",
    }
    for key, label in labels.items():
        row = result["defer"][key]
        name = label.format(w=row.get("engine_waiting_at_start"))
        ratio = (
            ""
            if key == "idle"
            else f"{row['p50_s'] / idle['p50_s']:.1f} / {row['p99_s'] / idle['p99_s']:.1f}"
        )
        rows.append(
            f"  {name:<44} {row['p50_s'] * 1e3:7.1f}  {row['p99_s'] * 1e3:7.1f}  "
            f"{row['max_s'] * 1e3:7.1f}   {ratio}"
        )
    rows.append(f"  (Discord's limit: {DISCORD_LIMIT_S:.0f} s)")
    return "\n".join(rows)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=40, help="commands per latency run")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between commands")
    parser.add_argument("--saturate-tokens", type=int, default=128, help="tokens per background request")
    parser.add_argument("--batch", type=int, default=8, help="the engine's max batch size for this bench")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few commands, short requests")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default bench/results/…)")
    args = parser.parse_args()
    if args.quick:
        args.commands, args.saturate_tokens = 8, 32
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(main(args))
    print(table(result))
    out = args.out or RESULTS_DIR / f"discord_defer-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    cli()
