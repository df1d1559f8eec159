"""Each brand's trained adapters and the learning loop's decisions about them (issue 19).

A version moves through these states:

    candidate  trained, not yet judged by the gate
    rejected   the gate (or an A/B test, or a rollback) turned it down; `reason` says why
    testing    passed the gate; with `learn.ab_share` set it writes a share of the brand's drafts
    promoted   serving the brand's drafts (at most one per brand)
    retired    served before; a rollback can bring the newest one back

Every replica reads these rows, so a promotion or a rollback made by one process (a `postpulse learn`
run, a scheduled run inside another replica, an operator's rollback) reaches all of them. Each state
change is one short transaction; promotion retires the old version in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.models import AdapterVersionRow, LearnRunRow

AdapterState = Literal["candidate", "rejected", "testing", "promoted", "retired"]
STATES: tuple[AdapterState, ...] = get_args(AdapterState)


@dataclass(frozen=True)
class AdapterVersion:
    brand: str
    version: int
    path: str
    state: AdapterState
    parent_version: int | None
    report: dict[str, Any] | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None

    @property
    def label(self) -> str:
        """How drafts, /health and the CLI name it: "acme/v3"."""
        return f"{self.brand}/v{self.version}"


@dataclass(frozen=True)
class LearnRun:
    id: int
    brand: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    version: int | None
    data_until: datetime | None
    summary: dict[str, Any] | None


def _version(row: AdapterVersionRow) -> AdapterVersion:
    return AdapterVersion(
        brand=row.brand,
        version=row.version,
        path=row.path,
        state=row.state,  # type: ignore[arg-type]  # written only from STATES
        parent_version=row.parent_version,
        report=row.report,
        reason=row.reason,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def _run(row: LearnRunRow) -> LearnRun:
    return LearnRun(
        id=row.id,
        brand=row.brand,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        version=row.version,
        data_until=row.data_until,
        summary=row.summary,
    )


class AdapterVersions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(
        self,
        brand: str,
        path_for: Callable[[int], Path | str],
        *,
        parent_version: int | None,
        report: dict[str, Any] | None = None,
    ) -> AdapterVersion:
        """Claim the brand's next version number and record it as a candidate. `path_for(version)`
        gives its directory. Two replicas racing for one number: the loser takes the next."""
        for _ in range(5):
            async with self._sessions() as session:
                latest = await session.scalar(
                    select(func.max(AdapterVersionRow.version)).where(AdapterVersionRow.brand == brand)
                )
            version = int(latest or 0) + 1
            row = AdapterVersionRow(
                brand=brand,
                version=version,
                path=str(path_for(version)),
                state="candidate",
                parent_version=parent_version,
                report=report,
                created_at=datetime.now(UTC),
            )
            try:
                async with self._sessions.begin() as session:
                    session.add(row)
                return _version(row)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not claim a version number for brand {brand!r}")

    async def get(self, brand: str, version: int) -> AdapterVersion | None:
        async with self._sessions() as session:
            row = await session.get(AdapterVersionRow, (brand, version))
            return _version(row) if row is not None else None

    async def history(self, brand: str) -> list[AdapterVersion]:
        """Every version of the brand, newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AdapterVersionRow)
                .where(AdapterVersionRow.brand == brand)
                .order_by(AdapterVersionRow.version.desc())
            )
            return [_version(row) for row in rows.all()]

    async def in_state(self, brand: str, state: AdapterState) -> AdapterVersion | None:
        """The newest version of the brand in that state (`promoted`: the one serving)."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(AdapterVersionRow)
                .where(AdapterVersionRow.brand == brand, AdapterVersionRow.state == state)
                .order_by(AdapterVersionRow.version.desc())
                .limit(1)
            )
            return _version(row) if row is not None else None

    async def serving(self) -> dict[str, tuple[AdapterVersion | None, AdapterVersion | None]]:
        """brand -> (promoted, testing) for every brand with either: what a replica polls."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AdapterVersionRow)
                .where(AdapterVersionRow.state.in_(("promoted", "testing")))
                .order_by(AdapterVersionRow.version)
            )
            out: dict[str, tuple[AdapterVersion | None, AdapterVersion | None]] = {}
            for row in rows.all():
                promoted, testing = out.get(row.brand, (None, None))
                if row.state == "promoted":
                    promoted = _version(row)
                else:
                    testing = _version(row)
                out[row.brand] = (promoted, testing)
            return out

    async def decide(
        self, brand: str, version: int, state: AdapterState, reason: str, report: dict[str, Any] | None = None
    ) -> None:
        """Set a version's state. `promoted` retires the version serving before, and a `testing`
        one leaves any other testing version `rejected`, in the same transaction."""
        if state not in STATES:
            raise ValueError(f"unknown adapter state {state!r}; allowed: {', '.join(STATES)}")
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            if state in ("promoted", "testing"):
                await session.execute(
                    update(AdapterVersionRow)
                    .where(
                        AdapterVersionRow.brand == brand,
                        AdapterVersionRow.state == state,
                        AdapterVersionRow.version != version,
                    )
                    .values(
                        state="retired" if state == "promoted" else "rejected",
                        decided_at=now,
                        reason=f"replaced by v{version}",
                    )
                )
            values: dict[str, Any] = {"state": state, "reason": reason, "decided_at": now}
            if report is not None:
                values["report"] = report
            result = await session.execute(
                update(AdapterVersionRow)
                .where(AdapterVersionRow.brand == brand, AdapterVersionRow.version == version)
                .values(**values)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise LookupError(f"brand {brand!r} has no adapter version v{version}")

    async def rollback(self, brand: str, reason: str = "rolled back") -> AdapterVersion | None:
        """Reject the serving version and bring back the newest retired one; None: back to the
        shipped adapter (no version left). Raises LookupError when nothing is promoted."""
        serving = await self.in_state(brand, "promoted")
        if serving is None:
            raise LookupError(f"brand {brand!r} has no promoted adapter version to roll back")
        previous = await self.in_state(brand, "retired")
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            await session.execute(
                update(AdapterVersionRow)
                .where(AdapterVersionRow.brand == brand, AdapterVersionRow.version == serving.version)
                .values(state="rejected", reason=reason, decided_at=now)
            )
            if previous is not None:
                await session.execute(
                    update(AdapterVersionRow)
                    .where(AdapterVersionRow.brand == brand, AdapterVersionRow.version == previous.version)
                    .values(
                        state="promoted", reason=f"restored by rollback of v{serving.version}", decided_at=now
                    )
                )
        return await self.get(brand, previous.version) if previous is not None else None

    # learn runs

    async def start_run(self, brand: str) -> LearnRun:
        row = LearnRunRow(brand=brand, started_at=datetime.now(UTC))
        async with self._sessions.begin() as session:
            session.add(row)
        return _run(row)

    async def finish_run(
        self,
        run_id: int,
        outcome: str,
        *,
        version: int | None = None,
        data_until: datetime | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LearnRunRow)
                .where(LearnRunRow.id == run_id)
                .values(
                    finished_at=datetime.now(UTC),
                    outcome=outcome,
                    version=version,
                    data_until=data_until,
                    summary=summary,
                )
            )

    async def last_run(self, brand: str, *, trained: bool = False) -> LearnRun | None:
        """The brand's newest finished run (`trained`: only runs that trained a version, whose
        `data_until` is where the next run's "new data" starts)."""
        query = select(LearnRunRow).where(LearnRunRow.brand == brand, LearnRunRow.finished_at.is_not(None))
        if trained:
            query = query.where(LearnRunRow.version.is_not(None))
        async with self._sessions() as session:
            row = await session.scalar(query.order_by(LearnRunRow.id.desc()).limit(1))
            return _run(row) if row is not None else None
