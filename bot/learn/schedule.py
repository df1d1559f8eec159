"""The learning loop on a schedule, inside `postpulse serve` (`learn.schedule`, e.g. "every 24h").

- **When:** ticks fall on whole multiples of the period since the epoch (every 24h: at 00:00 UTC), so
  every replica ticks at the same moments and the lock below has something to decide.
- **One replica at a time:** a tick first takes the training lock, without waiting: on PostgreSQL a
  session advisory lock (`pg_try_advisory_lock`, held on one connection for the run), on SQLite an
  exclusive `flock` on a file beside the database. A replica that does not get it skips the tick: the
  one holding it is training.
- **Drafts keep being served:** training never runs in this process. Each brand (`default` included)
  gets one child process, `postpulse learn --brand NAME --json`, started under `nice -n learn.nice`, so
  the kernel gives the serving process the CPU first; its summary is logged. A promotion it records
  reaches every replica through the store (bot.learn.watch).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.lifecycle import background

log = logging.getLogger(__name__)

LOCK_KEY = 0x506F_7374_5075_6C73 & 0x7FFF_FFFF_FFFF_FFFF  # "PostPuls": one advisory lock id for training
Outcome = Literal["ran", "busy"]
Command = Callable[[str], Sequence[str]]


def learn_command(config_path: str | None = None) -> Command:
    """brand -> `postpulse learn --brand NAME --json` (same interpreter, same config file)."""

    def command(brand: str) -> list[str]:
        cmd = [sys.executable, "-m", "adapters.cli", "learn", "--brand", brand, "--json"]
        return cmd + (["--config", config_path] if config_path else [])

    return command


class TrainingLock:
    """One holder at a time across replicas: a PostgreSQL advisory lock, or a file lock on SQLite."""

    def __init__(self, db: AsyncEngine) -> None:
        self.db = db
        database = db.url.database or ""
        self.sqlite = db.url.get_backend_name() == "sqlite"
        self.path = Path(f"{database}.learn.lock") if self.sqlite else None

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[bool]:
        """Try once; yields whether this process holds the lock (released on exit)."""
        if self.path is not None:
            async with self._file() as got:
                yield got
            return
        async with self.db.connect() as conn:
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}))
            try:
                yield got
            finally:
                if got:
                    await conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})

    @contextlib.asynccontextmanager
    async def _file(self) -> AsyncIterator[bool]:
        assert self.path is not None
        handle: IO[bytes] = await asyncio.to_thread(self.path.open, "ab")
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # never blocks
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()


class LearnScheduler:
    def __init__(
        self,
        lock: TrainingLock,
        brands: Sequence[str],
        *,
        every_s: float,
        nice: int,
        env: Mapping[str, str],
        command: Command | None = None,
    ) -> None:
        """`command(brand)`: the child to run (default: learn_command(); a test passes a stand-in)."""
        self.lock = lock
        self.brands = list(brands)
        self.every_s = every_s
        self.nice = nice
        self.env = dict(env)
        self.command = command or learn_command()
        self.runs: list[tuple[str, int]] = []  # (brand, exit status) of every child this process ran

    @contextlib.asynccontextmanager
    async def scheduled(self) -> AsyncIterator[LearnScheduler]:
        """Tick for the life of the block (the composition root enters it)."""
        async with background(self._run(), "postpulse-learn-schedule"):
            yield self

    def next_tick(self, now: float) -> float:
        """Seconds from `now` (epoch seconds) to the next whole multiple of the period."""
        return math.floor(now / self.every_s + 1) * self.every_s - now

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.next_tick(time.time()))
            try:
                await self.tick()
            except Exception:  # the next tick tries again
                log.exception("the scheduled learning run failed")

    async def tick(self) -> Outcome:
        """Train every brand, one child after another, if this replica gets the lock."""
        async with self.lock.held() as got:
            if not got:
                log.info("scheduled learning: another replica holds the training lock; skipping this tick")
                return "busy"
            for brand in self.brands:
                await self._train(brand)
            return "ran"

    async def _train(self, brand: str) -> None:
        argv = list(self.command(brand))
        nice = shutil.which("nice")
        if nice is not None:
            argv = [nice, "-n", str(self.nice), *argv]
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            env=self.env,
        )
        try:
            out, err = await proc.communicate()
        except asyncio.CancelledError:  # serve is stopping: the child must not outlive it
            proc.kill()
            await proc.wait()
            raise
        code = proc.returncode if proc.returncode is not None else -1
        self.runs.append((brand, code))
        seconds = time.perf_counter() - started
        if code == 0:
            log.info(
                "learned brand %s in %.0fs: %s", brand, seconds, out.decode(errors="replace").strip()[-2000:]
            )
        else:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            log.warning(
                "learning brand %s stopped with status %d after %.0fs: %s", brand, code, seconds, tail[0]
            )
