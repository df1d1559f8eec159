"""A real PostgreSQL server for the tests, started once per session by scripts/postgres.sh.

The cluster listens on 127.0.0.1 on a free port, runs as the `postgres` system user (it refuses root)
and lives under /tmp; it is stopped and deleted when the session ends. Each test that wants isolation
asks for its own database (`create_database`), which costs ~50 ms, not a server start.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
NOT_INSTALLABLE = 2  # postgres.sh: the server is missing and this user cannot install it


@dataclass
class PostgresCluster:
    directory: Path
    url: str  # postgresql://postpulse:…@127.0.0.1:PORT/postpulse, the DATABASE_URL form
    _names: Iterator[int] = field(default_factory=itertools.count)

    def create_database(self, prefix: str = "t") -> str:
        """A fresh, empty database owned by the `postpulse` role; returns its DATABASE_URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        return _script("createdb", str(self.directory), name)


def _script(*args: str) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode == NOT_INSTALLABLE:
        pytest.skip(f"PostgreSQL tests need the server: {done.stderr.strip()}")
    if done.returncode != 0:
        raise RuntimeError(f"scripts/postgres.sh {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    directory = Path(tempfile.mkdtemp(prefix="postpulse-pg-test."))
    url = _script("start", str(directory), "--watch", str(os.getpid()))  # gone if this run is killed
    try:
        yield PostgresCluster(directory, url)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(directory)], capture_output=True, check=False)


@pytest.fixture()
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh database on the session's server, as DATABASE_URL (`postgresql://…`)."""
    return postgres_cluster.create_database()
