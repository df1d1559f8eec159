"""The drafts store (SQLAlchemy 2.x async; SQLite by default, PostgreSQL via DATABASE_URL)."""

from bot.store.drafts import new_draft_id
from bot.store.store import Store, open_store
from bot.store.url import database_url

__all__ = ["Store", "database_url", "new_draft_id", "open_store"]
