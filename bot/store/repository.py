"""The drafts store: every read and write the Assistant and the feedback export make.

Writes are insert-only wherever history matters (ratings, choices): nothing is updated in place, so
a crash can lose at most an unacknowledged row, and the export can see every verdict ever given.
Each write is its own short transaction, committed before the method returns; nothing reads inside
a write transaction, so SQLite's writer lock is held only for the insert itself.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.brief import Brief
from bot.errors import DraftNotFound
from bot.postprocess import Post
from bot.records import (
    DraftFeedback,
    Origin,
    RatingValue,
    RemixAction,
    StoredDraft,
    VariantFeedback,
)
from bot.store import migrate
from bot.store.models import (
    ChannelDefaultsRow,
    ChoiceRow,
    DeliveryRow,
    DraftRow,
    RatingRow,
    VariantRow,
)
from bot.store.url import is_sqlite, redact

log = logging.getLogger(__name__)

CORE_POST_FIELDS = ("text", "word_count", "character_count", "hashtags", "truncated")

SQLITE_BUSY_TIMEOUT_MS = 30_000  # concurrent writers wait for the lock instead of failing


def new_draft_id() -> str:
    return uuid.uuid4().hex


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers never block the writer; synchronous=FULL: a commit is on disk before it returns,
    # so an acknowledged rating survives a crash or power cut; foreign keys off by default in SQLite.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
    ):
        cursor.execute(pragma)
    cursor.close()


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """Safe to log: the password is hidden."""
        return redact(self.engine.url.render_as_string(hide_password=False))

    async def close(self) -> None:
        await self.engine.dispose()

    # drafts -------------------------------------------------------------------------------------

    async def add_draft(self, draft: StoredDraft, finish_reasons: list[str] | None = None) -> None:
        reasons = finish_reasons or []
        async with self.sessions.begin() as session:
            session.add(
                DraftRow(
                    id=draft.id,
                    parent_id=draft.parent_id,
                    action=draft.action,
                    front_door=draft.origin.front_door,
                    user_id=draft.origin.user_id,
                    user_name=draft.origin.user_name,
                    workspace_id=draft.origin.workspace_id,
                    channel_id=draft.origin.channel_id,
                    brief=draft.brief.model_dump(mode="json"),
                    model=draft.model,
                    adapter=draft.adapter,
                    request_id=draft.request_id,
                    platform_limit=draft.platform_limit,
                    generation_seconds=draft.generation_seconds,
                    prompt_tokens=draft.prompt_tokens,
                    completion_tokens=draft.completion_tokens,
                    scores=draft.scores,
                    created_at=draft.created_at,
                )
            )
            await session.flush()  # the parent row first: variants reference it
            session.add_all(
                VariantRow(
                    draft_id=draft.id,
                    index=i,
                    text=post.text,
                    word_count=post.word_count,
                    character_count=post.character_count,
                    hashtags=list(post.hashtags),
                    truncated=post.truncated,
                    finish_reason=reasons[i] if i < len(reasons) else None,
                    details=post_details(post),
                )
                for i, post in enumerate(draft.variants)
            )

    async def get_draft(self, draft_id: str) -> StoredDraft:
        async with self.sessions() as session:
            row = await session.get(DraftRow, draft_id)
            if row is None:
                raise DraftNotFound(f"no draft with id '{draft_id}'")
            variants = (
                await session.scalars(
                    select(VariantRow).where(VariantRow.draft_id == draft_id).order_by(VariantRow.index)
                )
            ).all()
            ratings = (
                await session.scalars(
                    select(RatingRow).where(RatingRow.draft_id == draft_id).order_by(RatingRow.id)
                )
            ).all()
            choice = await session.scalar(
                select(ChoiceRow).where(ChoiceRow.draft_id == draft_id).order_by(ChoiceRow.id.desc()).limit(1)
            )
        latest: dict[int, RatingValue] = {}
        for rating in ratings:  # in insertion order: the last one per variant wins
            latest[rating.variant] = rating.rating  # type: ignore[assignment]
        return StoredDraft(
            id=row.id,
            brief=Brief.model_validate(row.brief),
            variants=[post_from_row(v) for v in variants],
            origin=Origin(
                front_door=row.front_door,  # type: ignore[arg-type]
                user_id=row.user_id,
                workspace_id=row.workspace_id,
                channel_id=row.channel_id,
                user_name=row.user_name,
            ),
            model=row.model,
            generation_seconds=row.generation_seconds,
            created_at=_utc(row.created_at),
            platform_limit=row.platform_limit,
            parent_id=row.parent_id,
            action=row.action,  # type: ignore[arg-type]
            chosen_variant=choice.variant if choice is not None else None,
            ratings=latest,
            scores=row.scores,
            request_id=row.request_id,
            adapter=row.adapter,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
        )

    async def children(self, draft_id: str) -> list[tuple[str, RemixAction | None]]:
        """Remixes made from a draft, oldest first: (id, action)."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(DraftRow.id, DraftRow.action)
                .where(DraftRow.parent_id == draft_id)
                .order_by(DraftRow.created_at)
            )
            return [(r.id, r.action) for r in rows]  # type: ignore[misc]

    # feedback -----------------------------------------------------------------------------------

    async def add_rating(self, draft_id: str, variant: int, rating: RatingValue, origin: Origin) -> int:
        """Insert one rating row and commit; returns its id (the acknowledgement)."""
        row = RatingRow(
            draft_id=draft_id,
            variant=variant,
            rating=rating,
            front_door=origin.front_door,
            user_id=origin.user_id,
            created_at=datetime.now(UTC),
        )
        async with self.sessions.begin() as session:
            session.add(row)
        return row.id

    async def add_choice(self, draft_id: str, variant: int, origin: Origin) -> None:
        async with self.sessions.begin() as session:
            session.add(
                ChoiceRow(
                    draft_id=draft_id,
                    variant=variant,
                    front_door=origin.front_door,
                    user_id=origin.user_id,
                    created_at=datetime.now(UTC),
                )
            )

    async def rating_rows(self, draft_id: str | None = None) -> list[RatingRow]:
        async with self.sessions() as session:
            query = select(RatingRow).order_by(RatingRow.id)
            if draft_id is not None:
                query = query.where(RatingRow.draft_id == draft_id)
            return list((await session.scalars(query)).all())

    async def feedback(self, since: datetime | None = None) -> list[DraftFeedback]:
        """Drafts with at least one rating or choice (given at or after `since`), with each variant's
        verdict: every user's latest rating counted once."""
        async with self.sessions() as session:
            rq = select(RatingRow).order_by(RatingRow.id)
            cq = select(ChoiceRow).order_by(ChoiceRow.id)
            if since is not None:
                rq = rq.where(RatingRow.created_at >= since)
                cq = cq.where(ChoiceRow.created_at >= since)
            ratings = (await session.scalars(rq)).all()
            choices = (await session.scalars(cq)).all()
            ids = sorted({r.draft_id for r in ratings} | {c.draft_id for c in choices})
            if not ids:
                return []
            drafts = {d.id: d for d in (await session.scalars(select(DraftRow).where(DraftRow.id.in_(ids))))}
            variants = (
                await session.scalars(
                    select(VariantRow).where(VariantRow.draft_id.in_(ids)).order_by(VariantRow.index)
                )
            ).all()
        verdict: dict[tuple[str, int, str], str] = {}
        for r in ratings:
            verdict[(r.draft_id, r.variant, r.user_id)] = r.rating
        chosen = {c.draft_id: c.variant for c in choices}
        texts: dict[str, list[VariantRow]] = {}
        for v in variants:
            texts.setdefault(v.draft_id, []).append(v)
        out = []
        for draft_id in ids:
            row = drafts[draft_id]
            items = []
            for v in texts.get(draft_id, []):
                votes = [val for (d, i, _), val in verdict.items() if d == draft_id and i == v.index]
                items.append(
                    VariantFeedback(
                        index=v.index,
                        text=v.text,
                        ups=votes.count("up"),
                        downs=votes.count("down"),
                        chosen=chosen.get(draft_id) == v.index,
                    )
                )
            out.append(
                DraftFeedback(
                    draft_id=draft_id,
                    brief=Brief.model_validate(row.brief),
                    created_at=_utc(row.created_at),
                    variants=items,
                    chosen_variant=chosen.get(draft_id),
                )
            )
        return out

    # deliveries ---------------------------------------------------------------------------------

    async def claim_delivery(self, key: str) -> bool:
        """True for the first claim of `key`, False for every later one (any replica): the
        database's primary key decides, not a read-then-write race."""
        try:
            async with self.sessions.begin() as session:
                session.add(DeliveryRow(key=key[:255], created_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True

    # channel defaults ---------------------------------------------------------------------------

    async def get_defaults(
        self, front_door: str, workspace_id: str | None, channel_id: str | None
    ) -> dict[str, Any]:
        async with self.sessions() as session:
            row = await session.get(ChannelDefaultsRow, (front_door, workspace_id or "", channel_id or ""))
            return dict(row.options) if row is not None else {}

    async def set_defaults(
        self,
        front_door: str,
        workspace_id: str | None,
        channel_id: str | None,
        options: Mapping[str, Any],
        user_id: str,
    ) -> None:
        """Replace the channel's defaults. UPDATE first, INSERT if there was nothing; a concurrent
        INSERT that wins the race turns ours into an UPDATE (portable upsert, no dialect SQL)."""
        key = (front_door, workspace_id or "", channel_id or "")
        values = {"options": dict(options), "updated_by": user_id, "updated_at": datetime.now(UTC)}
        for _ in range(2):
            async with self.sessions.begin() as session:
                result = await session.execute(
                    update(ChannelDefaultsRow)
                    .where(
                        ChannelDefaultsRow.front_door == key[0],
                        ChannelDefaultsRow.workspace_id == key[1],
                        ChannelDefaultsRow.channel_id == key[2],
                    )
                    .values(**values)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    return
            try:
                async with self.sessions.begin() as session:
                    session.add(
                        ChannelDefaultsRow(
                            front_door=key[0], workspace_id=key[1], channel_id=key[2], **values
                        )
                    )
                return
            except IntegrityError:
                continue

    async def clear_defaults(self, front_door: str, workspace_id: str | None, channel_id: str | None) -> bool:
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(ChannelDefaultsRow).where(
                    ChannelDefaultsRow.front_door == front_door,
                    ChannelDefaultsRow.workspace_id == (workspace_id or ""),
                    ChannelDefaultsRow.channel_id == (channel_id or ""),
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def post_details(post: Post) -> dict[str, Any] | None:
    """Post's fields beyond the core columns, JSON-ready (tuples as lists)."""
    extra = {
        f.name: list(value) if isinstance(value, tuple) else value
        for f in dataclasses.fields(post)
        if f.name not in CORE_POST_FIELDS and (value := getattr(post, f.name)) != f.default
    }
    return extra or None


def post_from_row(row: VariantRow) -> Post:
    known = {f.name: f for f in dataclasses.fields(Post)}
    extra: dict[str, Any] = {}
    for name, value in (row.details or {}).items():
        if name in known and name not in CORE_POST_FIELDS:  # a field a later version dropped is skipped
            extra[name] = tuple(value) if isinstance(known[name].default, tuple) else value
    return Post(row.text, row.word_count, row.character_count, list(row.hashtags), row.truncated, **extra)


def make_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=not is_sqlite(url))
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def open_store(url: str, *, migrate_schema: bool = True) -> Store:
    """Connect and bring the schema to head (Alembic). Raises StoreError naming the (redacted) URL."""
    engine = make_engine(url)
    if migrate_schema:
        try:
            await migrate.upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
    log.info("drafts store open: %s", redact(url))
    return Store(engine)
