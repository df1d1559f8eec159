"""The quality pool: the threads where finished drafts are post-processed and scored, off the event loop.

Every front door shares one event loop, so a draft's finishing work (platform post-processing, the
fact guard, TF-IDF tone scoring of every candidate, and whatever checks join `DraftService.finish`)
would stall every other chat, stream and health check while it ran. It runs here instead.

Why threads and not processes: finishing a draft is tens of milliseconds of regular expressions and
scikit-learn; a process per worker would fit its own tone judge (seconds and ~100 MB each) and pickle
the brief, the catalog and every candidate per draft. A thread holding the GIL yields it to the loop
every `sys.getswitchinterval()` (5 ms), and scikit-learn's numeric parts release it, so the loop's
callbacks are delayed by milliseconds, not by a whole draft's scoring.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

MAX_WORKERS = 4  # past the core count threads only queue behind the GIL


def pool_size(cpus: int | None = None) -> int:
    """One thread per core, 1 to MAX_WORKERS: the machine's, not the load's, size."""
    cores = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, min(MAX_WORKERS, cores))


def quality_pool(workers: int | None = None) -> ThreadPoolExecutor:
    """The pool the composition root (adapters.runtime) opens and closes with `close_pool`."""
    return ThreadPoolExecutor(max_workers=workers or pool_size(), thread_name_prefix="postpulse-quality")


async def close_pool(pool: ThreadPoolExecutor) -> None:
    """Shut the pool down without blocking the loop: queued work is dropped, running work finishes."""
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
