"""A managed child's CPU priority: low while it starts, normal once it serves.

Why: the vLLM child's start-up (imports, model load, compile, warm-up) takes both cores of a small
machine for a minute or more, while the in-process engine is already serving the first drafts. At a
lower priority the start-up takes what those drafts leave, so the first draft is not slowed by it; once
the child serves, it gets its normal share back.

Linux's autogroup scheduling (on by default on desktop and server kernels) first shares the CPU
between sessions, and the child runs in a session of its own (`start_new_session`), so a plain nice
value would only weigh its processes against each other. Where autogroup is on, the session's
autogroup nice is set (/proc/PID/autogroup; the owner may set it back to 0). Without autogroup it is
the process group's nice value, which only a privileged process may set back to 0, so an unprivileged
one leaves the child's priority alone rather than lower it for good.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroup_enabled() -> bool:
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1"
    except OSError:
        return False


def can_restore() -> bool:
    """Whether a priority lowered here can be set back to 0 (autogroup, or a privileged process)."""
    return autogroup_enabled() or os.geteuid() == 0


def set_session_nice(pid: int, nice: int) -> bool:
    """Give the session (or, without autogroup, the process group) that `pid` leads the nice value
    `nice` (0-19); False, and a log line, where the system does not allow it."""
    try:
        if autogroup_enabled():
            Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
        else:
            os.setpriority(os.PRIO_PGRP, pid, nice)
    except OSError as exc:
        log.info("could not set the CPU priority (nice %d) of process %d: %s", nice, pid, exc)
        return False
    return True


def session_nice(pid: int) -> int | None:
    """The nice value that `set_session_nice` sets, as the system reports it (None: gone or unknown)."""
    try:
        if autogroup_enabled():
            # "/autogroup-123 nice 10"
            return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
        return os.getpriority(os.PRIO_PGRP, pid)
    except (OSError, ValueError, IndexError):
        return None


def lower_while_starting(pid: int, nice: int, limit_s: float) -> asyncio.TimerHandle | None:
    """Lower the session `pid` leads to `nice` now, and raise it back to 0 after `limit_s` (cancel the
    handle and call `set_session_nice(pid, 0)` when it is ready sooner). None: nothing was lowered
    (switched off, or it could not be raised back). Call it on the event loop."""
    if not nice or not limit_s or not can_restore() or not set_session_nice(pid, nice):
        return None
    return asyncio.get_running_loop().call_later(limit_s, set_session_nice, pid, 0)
