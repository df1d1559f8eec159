"""Which database the store opens: `store.url` / DATABASE_URL (PostgreSQL), else a SQLite file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

from bot.errors import StoreError

APP_NAME = "postpulse"
SQLITE_FILE = "postpulse.db"


def default_sqlite_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / SQLITE_FILE


def database_url(url: str | None, path: str | None, env: Mapping[str, str] | None = None) -> str:
    """An async SQLAlchemy URL. `postgres://` and `postgresql://` (what hosting platforms hand out)
    become `postgresql+asyncpg://`; a plain path becomes `sqlite+aiosqlite:///path`."""
    given = url or (env or {}).get("DATABASE_URL") or None
    if given:
        for prefix in ("postgres://", "postgresql://"):
            if given.startswith(prefix):
                return "postgresql+asyncpg://" + given[len(prefix) :]
        if given.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return given
        raise StoreError(
            f"unsupported database URL scheme in {redact(given)}: use postgresql://… or a SQLite file path"
        )
    file = Path(path).expanduser() if path else default_sqlite_path()
    file.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{file.resolve()}"


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<the database URL>"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    return Path(database) if is_sqlite(url) and database and database != ":memory:" else None
