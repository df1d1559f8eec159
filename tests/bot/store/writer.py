"""A separate process writing to the store (run by the store tests): prints `ack <rating id>` only
after each rating is committed, so the parent knows exactly what was acknowledged.

    python -m tests.bot.store.writer URL DRAFT_ID COUNT USER   (COUNT 0 = until killed)
"""

from __future__ import annotations

import asyncio
import sys

from bot.records import Origin
from bot.store import open_store


async def main(url: str, draft_id: str, count: int, user: str) -> None:
    store = await open_store(url)
    origin = Origin("slack", user, "T1", "C1")
    written = 0
    try:
        while count == 0 or written < count:
            rating_id = await store.feedback.add_rating(
                draft_id, written % 2, "up" if written % 3 else "down", origin
            )
            sys.stdout.write(f"ack {rating_id}\n")
            sys.stdout.flush()
            written += 1
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
