"""How long from `make run` to a first draft on the playground page, measured the way a person would
meet it: start the command, open http://127.0.0.1:PORT/ in (headless) Chromium as soon as the port
answers, fill the brief, press Generate, wait for text to appear and for the finished draft.

    .venv/bin/python scripts/time-to-first-draft.py [--port 8765] [--length 150] [--cwd DIR]
        [--label NAME] [--out FILE.json] [-- make run]

Without a command after `--` it runs `make run` (in `--cwd`, default here: point it at a fresh clone).
The page is driven with no think time, so the numbers are the server's share of the wait. Everything
stays on loopback; the command is stopped at the end. `--out` appends the marks, the badge text and
the load average as one JSON line, so before/after runs land in one file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

from playwright.async_api import async_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def measure(
    port: int, length: int, started: float, marks: dict[str, float], notes: dict[str, str]
) -> None:
    while not port_open(port):
        await asyncio.sleep(0.1)
    marks["port answers"] = time.monotonic() - started
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.locator("#tones option").first.wait_for(state="attached")
        marks["page filled from /v1/catalog"] = time.monotonic() - started
        await page.get_by_label("Prompt").fill("Our spring sale: 20% off every bike this weekend")
        await page.get_by_label("Tone", exact=True).fill("casual")
        await page.get_by_label("Platform").fill("instagram")
        await page.get_by_label("Length").fill(str(length))
        # A person presses Generate once the badge says Ready (before, the page says "not ready yet").
        await page.locator("#server-status.ready").wait_for(timeout=600_000)
        marks["model ready (badge)"] = time.monotonic() - started
        notes["badge"] = await page.locator("#server-status").inner_text()
        await page.get_by_role("button", name="Generate").click()
        await page.locator("article.draft .post-text:not(:empty)").first.wait_for(timeout=600_000)
        marks["first streamed text on the page"] = time.monotonic() - started
        await page.locator('article.draft[aria-busy="false"]').first.wait_for(timeout=600_000)
        marks["first draft finished on the page"] = time.monotonic() - started
        await browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--length", type=int, default=150, help="max tokens of the draft (default: 150)")
    parser.add_argument("--cwd", help="where to run the command (default: here)")
    parser.add_argument("--label", default="", help="a name for this run in --out")
    parser.add_argument("--out", help="append the result as a JSON line to this file")
    parser.add_argument("command", nargs="*", default=["make", "run"])
    args = parser.parse_args()
    env = {**os.environ, "POSTPULSE_PORT": str(args.port), "POSTPULSE_HOST": "127.0.0.1"}
    if args.cwd:
        # The clone's own code, even where its .venv is a shared one whose editable install points at
        # another checkout (the console script would import that checkout's packages).
        env["PYTHONPATH"] = os.path.abspath(args.cwd)
    load_before = os.getloadavg()
    started = time.monotonic()
    server = subprocess.Popen(args.command, env=env, cwd=args.cwd, start_new_session=True)
    marks: dict[str, float] = {}
    notes: dict[str, str] = {}
    try:
        asyncio.run(measure(args.port, args.length, started, marks, notes))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print(f"\n{' '.join(args.command)} -> first draft on the page (max_length {args.length})")
    for name, seconds in marks.items():
        print(f"  {seconds:7.1f} s  {name}")
    print(f"  badge: {notes.get('badge', '?')}")
    if args.out:
        row = {
            "label": args.label,
            "command": args.command,
            "cwd": args.cwd,
            "length": args.length,
            "marks_s": {name: round(seconds, 1) for name, seconds in marks.items()},
            **notes,
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        with open(args.out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
