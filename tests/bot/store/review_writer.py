"""A separate process moving one draft through review transitions (run by the store tests): prints
`ack <n> <action>` only after the n-th transition is committed, so the parent knows exactly what
was acknowledged. It loops review -> edit -> changes -> (review ...) and never approves, so it can
run until it is killed.

    python -m tests.bot.store.review_writer URL DRAFT_ID COUNT   (COUNT 0 = until killed)
"""

from __future__ import annotations

import asyncio
import sys

from bot.records import Origin
from bot.review import Reviews
from bot.review_types import ReviewStatus
from bot.store import open_store
from bot.tenancy import Tenancy

AUTHOR = Origin("slack", "U1", "T1", "C1", "alice")  # tests.bot.store.support.make_draft's origin
REVIEWER = Origin("slack", "U9", "T1", "C1", "rita", roles=frozenset({"reviewer"}))


async def main(url: str, draft_id: str, count: int) -> None:
    store = await open_store(url)
    reviews = Reviews(store, Tenancy())
    written = 0
    try:
        while count == 0 or written < count:
            step = written % 3
            status: ReviewStatus
            if step == 0:
                status = await reviews.submit(AUTHOR, draft_id, 0, note=f"round {written // 3}")
            elif step == 1:
                status = await reviews.edit(REVIEWER, draft_id, 0, f"Edit number {written}. #Sale")
            else:
                status = await reviews.request_changes(REVIEWER, draft_id, f"note {written}")
            written += 1
            sys.stdout.write(f"ack {len(status.history)} {status.history[-1].action}\n")
            sys.stdout.flush()
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
