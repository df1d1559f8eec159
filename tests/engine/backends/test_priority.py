"""engine.backends.priority on a real child session: lowered while it starts, back to normal after."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from engine.backends.priority import session_nice, set_session_nice

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling only")


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A child in a session of its own, with a grandchild, as the managed vLLM child runs."""
    script = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_a_child_session_is_lowered_and_raised_back(child: subprocess.Popen[bytes]) -> None:
    assert session_nice(child.pid) == 0
    assert set_session_nice(child.pid, 10)
    assert session_nice(child.pid) == 10
    # what the child forks (vLLM's engine core and worker) is in the same session: lowered too
    grandchild = psutil.Process(child.pid).children()
    while not grandchild:
        grandchild = psutil.Process(child.pid).children()
    assert session_nice(grandchild[0].pid) == 10
    assert set_session_nice(child.pid, 0)  # the owner may raise it back (autogroup), or root may
    assert session_nice(child.pid) == 0
    assert session_nice(grandchild[0].pid) == 0


def test_a_process_that_is_gone_is_reported_not_raised() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    gone.wait()
    assert not set_session_nice(gone.pid, 10)
    assert session_nice(gone.pid) is None
