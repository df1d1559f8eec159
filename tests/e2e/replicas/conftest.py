"""Real `postpulse serve` processes sharing one PostgreSQL database, and a fake Slack they all call.

Each replica is the console script a deployment runs, configured only through its environment (as in
docker-compose.yml): DATABASE_URL, the transformers backend on the embedded model, Slack in HTTP mode
pointed at the loopback fake. Starting one costs a model load, so the module shares two replicas
and restarts one of them once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.pg import PostgresCluster

POSTPULSE = Path(sys.executable).with_name("postpulse")
READY_TIMEOUT_S = 600.0  # a model load on a busy 2-core CI machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    name: str
    env: dict[str, str]
    log: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Replica:
        self.port = free_port()
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(POSTPULSE), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--grace", "5",
                env=self.env, stdout=out, stderr=out,
            )  # fmt: skip
        await self.wait_ready()
        return self

    async def running(self) -> Replica:
        """Started again if an earlier test stopped it (the pair is shared by the module)."""
        if self.process is None or self.process.returncode is not None:
            await self.start()
        return self

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise AssertionError(f"replica {self.name} exited:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/ready") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.5)
        raise AssertionError(f"replica {self.name} not ready in {READY_TIMEOUT_S:.0f}s:\n{self.tail()}")

    async def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a container; returns the exit status."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=60)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database_url(postgres_cluster: PostgresCluster) -> str:
    return postgres_cluster.create_database("replicas")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def replicas(
    database_url: str, fake_slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Replica]]:
    logs = tmp_path_factory.mktemp("replica-logs")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POSTPULSE_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        POSTPULSE_BACKEND="transformers",
        POSTPULSE_DTYPE="float32",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="1",  # two model processes on two cores
    )
    pair = {name: Replica(name, dict(env), logs / f"{name}.log") for name in ("a", "b")}
    try:
        # Together, as an orchestrator starts them: both run the migrations on the empty database.
        await asyncio.gather(*(replica.start() for replica in pair.values()))
        yield pair
    finally:
        for replica in pair.values():
            await replica.stop()
