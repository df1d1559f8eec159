"""`python -m bench.handoff`: `make run`'s serving path before and after the warm hand-off (issue 23),
in one run.

Each side is a fresh copy of a commit (`git archive`, the venvs linked in) started the way `make run`
starts it (`postpulse serve`, POSTPULSE_BACKEND=vllm), on loopback, with its own store. Measured:

- seconds from the start to /ready (200) and to the first finished draft;
- the first draft after /ready against the p50 of the next ten (the same brief shape as a person's:
  best-of-n, up to 150 tokens; every brief a different product, so no draft rides another's prefix
  cache). With the hand-off the series is taken twice: on the engine that answers /ready first
  (transformers while vLLM starts), and again right after vLLM takes over;
- the total RSS (and PSS, which counts shared pages once) of the server's processes, and each
  process's: after /ready, and once vLLM serves;
- seconds from the start until the port answers (the page can load).

    .venv/bin/python -m bench.handoff [--before e21da15] [--after HEAD] [--drafts 10]
        [--after-env KEY=VALUE ...]

`--after-env` sets variables for the after side only (a setting under test, e.g. POSTPULSE_* overrides).

Results: bench/results/handoff-<timestamp>.json, and a ratio table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parent.parent
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
    "A language school's summer intensives",
    "A brewery's winter stout release",
    "A tailor's same-day hemming service",
    "A cinema's retro film night",
    "A farm shop's organic veg boxes",
    "A hair salon's student discount",
    "A car wash's monthly pass",
    "A music school's free trial lesson",
    "A toy shop's board-game evenings",
    "A wine bar's tasting flights",
    "A plant nursery's repotting workshop",
    "A laundromat's pickup service",
    "A pottery studio's date-night class",
    "A cycling club's beginner rides",
]
STYLES = [
    ("linkedin", "professional"),
    ("instagram", "casual"),
    ("x", "witty"),
    ("facebook", "persuasive"),
]


LENGTH = 150  # max_length of every draft (--length): the default a person gets


def brief(i: int) -> dict[str, Any]:
    platform, tone = STYLES[i % len(STYLES)]
    return {"prompt": PRODUCTS[i % len(PRODUCTS)], "platform": platform, "tone": tone, "max_length": LENGTH}


def copy_tree(rev: str, into: Path) -> Path:
    """A fresh copy of `rev`'s tracked files, with the shared venvs linked in (as a clone would have)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for venv in (".venv", ".venv-vllm"):
        (into / venv).symlink_to((REPO / venv).resolve())
    return into


def role(proc: psutil.Process) -> str:
    """What a process of `postpulse serve` is: the sidecar, vLLM's API server, engine core or worker."""
    cmd = proc.cmdline()
    title = " ".join(cmd)
    if title.startswith("VLLM::"):
        return title.split()[0].removeprefix("VLLM::")
    if "vllm.entrypoints" in title:
        return "vLLM API server"
    if "adapters.cli" in title or "postpulse" in title:
        return "sidecar"
    return proc.name()


def tree_memory(root: psutil.Process) -> dict[str, Any]:
    """RSS and PSS (MiB) of a process and all its descendants, each and in total."""
    rss = pss = 0.0
    procs = [root, *root.children(recursive=True)]
    each = []
    for proc in procs:
        try:
            info = proc.memory_full_info()
            name = role(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        each.append({"process": name, "rss_mib": round(info.rss / 2**20), "pss_mib": round(info.pss / 2**20)})
    return {"rss_mib": rss / 2**20, "pss_mib": pss / 2**20, "processes": len(each), "each": each}


class Side:
    def __init__(self, name: str, tree: Path, port: int, work: Path, env: dict[str, str]) -> None:
        self.name, self.tree, self.port, self.work, self.env = name, tree, port, work, env
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(self.tree),
            "POSTPULSE_BACKEND": "vllm",
            "POSTPULSE_HOST": "127.0.0.1",
            "POSTPULSE_PORT": str(self.port),
            "POSTPULSE_STORE_PATH": str(self.work / f"{self.name}.db"),
            **self.env,
        }
        log = (self.work / f"{self.name}-serve.log").open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(self.tree / ".venv" / "bin" / "python"), "-m", "adapters.cli", "serve"],
            cwd=self.tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def memory(self) -> dict[str, Any]:
        assert self.proc is not None
        return tree_memory(psutil.Process(self.proc.pid))

    def since(self) -> float:
        return time.monotonic() - self.started


async def get_ready(client: aiohttp.ClientSession, side: Side) -> dict[str, Any] | None:
    try:
        async with client.get(side.url + "/ready") as resp:
            body: dict[str, Any] = await resp.json()
            return body if resp.status == 200 else None
    except (aiohttp.ClientError, json.JSONDecodeError):
        return None


async def wait_port(side: Side, limit_s: float) -> float:
    """Seconds since start when the port accepts a connection."""
    while side.since() < limit_s:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", side.port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return side.since()
    raise RuntimeError(f"{side.name}: the port did not open within {limit_s:.0f}s")


async def wait_ready(client: aiohttp.ClientSession, side: Side, backend: str | None, limit_s: float) -> float:
    """Seconds since start when /ready says 200 (and, if given, that `backend` serves)."""
    while side.since() < limit_s:
        assert side.proc is not None
        if side.proc.poll() is not None:
            raise RuntimeError(f"{side.name}: the server exited ({side.proc.returncode}); see its log")
        body = await get_ready(client, side)
        if body is not None and (backend is None or body.get("backend", "vllm") == backend):
            return side.since()
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{side.name}: not ready{f' on {backend}' if backend else ''} within {limit_s:.0f}s")


async def one_draft(client: aiohttp.ClientSession, side: Side, i: int) -> dict[str, Any]:
    started = time.perf_counter()
    async with client.post(side.url + "/generate-text", json=brief(i)) as resp:
        body = await resp.json()
        seconds = time.perf_counter() - started
        if resp.status != 200:
            raise RuntimeError(f"{side.name}: draft {i} failed: {resp.status} {body}")
    return {
        "seconds": seconds,
        "backend": body.get("backend", "vllm (before: not recorded)"),
        "at": side.since(),
    }


async def series(
    client: aiohttp.ClientSession, side: Side, start: int, drafts: int, until: str | None = None
) -> dict[str, Any]:
    """The first draft, then `drafts` more: the first against the p50 of the rest. `until`: stop early
    (after at least three) once /ready says that backend serves (the hand-off moved on)."""
    rows: list[dict[str, Any]] = []
    for k in range(drafts + 1):
        if until is not None and len(rows) >= 3:
            ready = await get_ready(client, side) or {}
            if ready.get("backend") == until:
                break
        rows.append(await one_draft(client, side, start + k))
    first, rest = rows[0]["seconds"], [r["seconds"] for r in rows[1:]]
    p50 = statistics.median(rest)
    return {
        "first_s": round(first, 2),
        "next_p50_s": round(p50, 2),
        "ratio": round(first / p50, 2),
        "backends": sorted({r["backend"] for r in rows}),
        "count": len(rows),
        "drafts": rows,
    }


async def run_side(side: Side, drafts: int, limit_s: float, handoff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"side": side.name}
    side.start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as client:
            out["port_s"] = round(await wait_port(side, limit_s), 1)
            out["ready_s"] = round(await wait_ready(client, side, None, limit_s), 1)
            ready = await get_ready(client, side) or {}
            out["ready_body"] = ready
            out["memory_at_ready"] = side.memory()
            out["after_ready"] = await series(client, side, 0, drafts, until="vllm" if handoff else None)
            out["first_draft_done_s"] = round(out["after_ready"]["drafts"][0]["at"], 1)
            if handoff:
                out["vllm_serves_s"] = round(await wait_ready(client, side, "vllm", limit_s), 1)
                out["after_handoff"] = await series(client, side, 100, drafts)
            out["memory_serving"] = side.memory()
    finally:
        side.stop()
    return out


def table(before: dict[str, Any], after: dict[str, Any]) -> str:
    def mem(side: dict[str, Any]) -> str:
        m = side["memory_serving"]
        return f"{m['rss_mib'] / 1024:.2f} GiB RSS, {m['pss_mib'] / 1024:.2f} GiB PSS, {m['processes']} procs"

    def each(side: dict[str, Any]) -> dict[str, str]:
        rows: dict[str, str] = {}
        for proc in side["memory_serving"]["each"]:
            rows[proc["process"]] = f"{proc['rss_mib']} MiB RSS, {proc['pss_mib']} MiB PSS"
        return rows

    lines = [
        f"{'':34} {'before':>34} {'after':>34}",
        f"{'port answers at':34} {before.get('port_s', 0):>32.1f} s {after.get('port_s', 0):>32.1f} s",
        f"{'/ready 200 at':34} {before['ready_s']:>32.1f} s {after['ready_s']:>32.1f} s",
        f"{'first draft finished at':34} {before['first_draft_done_s']:>32.1f} s "
        f"{after['first_draft_done_s']:>32.1f} s",
    ]
    b, a = before["after_ready"], after["after_ready"]
    lines.append(
        f"{'first after /ready / p50 next':34} "
        f"{b['first_s']:>7.2f}/{b['next_p50_s']:.2f} s = {b['ratio']:.2f}x{'':>10} "
        f"{a['first_s']:>7.2f}/{a['next_p50_s']:.2f} s = {a['ratio']:.2f}x "
        f"{','.join(a['backends'])} (n={a['count']})"
    )

    def handoff(side: dict[str, Any]) -> str:
        if "after_handoff" not in side:
            return ""
        h = side["after_handoff"]
        at = side["vllm_serves_s"]
        return f"{h['first_s']:.2f}/{h['next_p50_s']:.2f} s = {h['ratio']:.2f}x, at {at:.0f} s"

    if "after_handoff" in after:
        lines.append(f"{'first on vLLM after hand-off':34} {handoff(before):>34} {handoff(after):>34}")
    lines.append(f"{'memory while vLLM serves':34} {mem(before):>34} {mem(after):>34}")
    b_each, a_each = each(before), each(after)
    for name in dict.fromkeys([*b_each, *a_each]):
        lines.append(f"{'  ' + name:34} {b_each.get(name, '-'):>34} {a_each.get(name, '-'):>34}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    global LENGTH
    LENGTH = args.length
    work = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    load_before = os.getloadavg()
    after_env = dict(item.split("=", 1) for item in args.after_env)
    before = Side("before", copy_tree(args.before, work / "before"), args.port, work, {})
    after = Side("after", copy_tree(args.after, work / "after"), args.port + 1, work, after_env)
    results: dict[str, Any] = {}
    # --after-first: whatever else loads the machine early in the run weighs on the new code, not the old
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or REPO / "bench" / "results" / f"handoff-{stamp}.json")
    for side in (after, before) if args.after_first else (before, after):
        handoff = side is after or args.before_handoff
        results[side.name] = await run_side(side, args.drafts, args.limit, handoff=handoff)
        partial = {"bench": "handoff", "partial": True, "load": os.getloadavg(), **results}
        out.write_text(json.dumps(partial, indent=2) + "\n")  # a side measured is kept
    report = table(results["before"], results["after"])
    print(report)
    payload = {
        "bench": "handoff",
        "revisions": {"before": args.before, "after": args.after},
        "after_env": after_env,
        "drafts_per_series": args.drafts + 1,
        "max_length": args.length,
        "order": "after, before" if args.after_first else "before, after",
        "machine": {"cpus": os.cpu_count(), "load_at_start": load_before, "load_at_end": os.getloadavg()},
        "note": "2-core machine shared with other sessions: see the load averages",
        "table": report.splitlines(),
        **results,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten: {out}  (logs in {work})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="e21da15", help="the commit before the hand-off")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--drafts", type=int, default=10, help="drafts after the first in each series")
    parser.add_argument("--length", type=int, default=LENGTH, help="max_length of each draft (150)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--limit", type=float, default=1500, help="seconds a side may take to be ready")
    parser.add_argument("--after-first", action="store_true", help="run the after side first")
    parser.add_argument("--after-env", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--before-handoff", action="store_true", help="the before side has the hand-off too (after 069dc36)"
    )
    parser.add_argument("--out")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
