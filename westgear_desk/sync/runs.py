"""The `sync_runs` ledger: one row per schedule slot, claimed uniquely so N desks run it once.

A run is claimed by inserting its run key (schedule + slot time) with ON CONFLICT DO NOTHING;
the desk whose insert wins runs the slot, every other desk records nothing and moves on. The
row then records who ran it, when, what it counted and how it ended. A run whose desk died
stays ``running`` until it is marked ``interrupted`` (see `interrupt_runs`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import SyncRunStatus
from westgear_desk.db.models.runs import SyncRun
from westgear_desk.log import redact_text
from westgear_desk.sync.flows import run_key

ERROR_SUMMARY_LIMIT: Final = 2000
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunCounts:
    """What a run did, per record. Flows fill it; `sync_runs.counts` stores it as JSON."""

    fetched: int = 0
    written: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    released: int = 0
    deactivated: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RunCounts:
        """Build counts from stored JSON, ignoring unknown keys and treating missing as 0."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: int(v) for k, v in (data or {}).items() if k in names})

    def __add__(self, other: RunCounts) -> RunCounts:
        mine, theirs = self.to_dict(), other.to_dict()
        return RunCounts(**{k: mine[k] + theirs[k] for k in mine})

    def summary(self) -> str:
        """Return the non-zero counts as ``fetched=10 written=8``, or ``-``."""
        parts = [f"{k}={v}" for k, v in self.to_dict().items() if v]
        return " ".join(parts) or "-"


def summarize_error(error: BaseException | str) -> str:
    """Return a redacted one-paragraph summary of an error, cut to `ERROR_SUMMARY_LIMIT`."""
    text_ = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text_ = redact_text(text_)
    return text_ if len(text_) <= ERROR_SUMMARY_LIMIT else text_[:ERROR_SUMMARY_LIMIT] + "…"


def insert_for(session: Session, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT for `model` in the session's dialect (both support ON CONFLICT)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def claim_run(
    session: Session, *, schedule: str, key: str, slot_at: dt.datetime, desk_id: str
) -> int | None:
    """Insert a ``running`` run under `key`; return its id, or None if the key is taken.

    Does not commit: the claim becomes visible to other desks when the caller commits.
    """
    stmt = (
        insert_for(session, SyncRun)
        .values(
            schedule=schedule,
            run_key=key,
            slot_at=slot_at,
            desk=desk_id,
            status=SyncRunStatus.RUNNING,
            started_at=utcnow(),
            counts=RunCounts().to_dict(),
        )
        .on_conflict_do_nothing(index_elements=["run_key"])
        .returning(SyncRun.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def claim_slot(
    factory: sessionmaker[Session], *, schedule: str, slot_at: dt.datetime, desk_id: str
) -> int | None:
    """Claim the slot of `schedule` at `slot_at` in its own transaction (None if taken)."""
    with factory() as session, session.begin():
        return claim_run(
            session,
            schedule=schedule,
            key=run_key(schedule, slot_at),
            slot_at=slot_at,
            desk_id=desk_id,
        )


def start_manual_run(factory: sessionmaker[Session], *, schedule: str, desk_id: str) -> int:
    """Record a run started by hand (``sync <flow>``); its key never collides with a slot."""
    now = utcnow()
    key = f"{schedule}@manual:{now.isoformat()}:{uuid.uuid4().hex[:8]}"
    with factory() as session, session.begin():
        run_id = claim_run(session, schedule=schedule, key=key, slot_at=now, desk_id=desk_id)
    if run_id is None:  # pragma: no cover - a random key cannot collide in practice
        raise RuntimeError(f"manual run key {key} already exists")
    return run_id


def finish_run(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    status: SyncRunStatus,
    counts: RunCounts,
    error: BaseException | str | None = None,
) -> None:
    """Record how a run ended. Retries once on a lost connection (the pool reconnects)."""
    values: dict[str, Any] = {
        "status": status,
        "finished_at": utcnow(),
        "counts": counts.to_dict(),
        "error_summary": None if error is None else summarize_error(error),
    }
    for attempt in (1, 2):
        try:
            with factory() as session, session.begin():
                session.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values))
            return
        except DBAPIError:
            if attempt == 2:
                raise
            _log.warning("finishing run %s failed on a lost connection; retrying", run_id)


def interrupt_runs(
    session: Session,
    *,
    schedule: str | None = None,
    started_before: dt.datetime | None = None,
    exclude_ids: Iterable[int] = (),
    reason: str = "desk stopped before the run finished",
) -> int:
    """Mark matching ``running`` runs ``interrupted``; return how many. Does not commit."""
    stmt = update(SyncRun).where(SyncRun.status == SyncRunStatus.RUNNING)
    if schedule is not None:
        stmt = stmt.where(SyncRun.schedule == schedule)
    if started_before is not None:
        stmt = stmt.where(SyncRun.started_at < started_before)
    excluded = list(exclude_ids)
    if excluded:
        stmt = stmt.where(SyncRun.id.not_in(excluded))
    result = session.execute(
        stmt.values(
            status=SyncRunStatus.INTERRUPTED, finished_at=utcnow(), error_summary=reason
        ).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def running_schedules(session: Session) -> list[str]:
    """Return the schedules that have at least one ``running`` run."""
    stmt = select(SyncRun.schedule).where(SyncRun.status == SyncRunStatus.RUNNING).distinct()
    return sorted(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class RunView:
    """One run as the CLI and the UI show it."""

    id: int
    schedule: str
    run_key: str
    slot_at: dt.datetime | None
    desk: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: RunCounts
    error_summary: str | None

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        def iso(value: dt.datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "schedule": self.schedule,
            "run_key": self.run_key,
            "slot_at": iso(self.slot_at),
            "desk": self.desk,
            "status": self.status,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_s": self.duration_s,
            "counts": self.counts.to_dict(),
            "error_summary": self.error_summary,
        }


def list_runs(session: Session, *, schedule: str | None = None, limit: int = 50) -> list[RunView]:
    """Return the newest runs first, optionally of one schedule."""
    stmt = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if schedule is not None:
        stmt = stmt.where(SyncRun.schedule == schedule)
    return [_view(row) for row in session.scalars(stmt)]


def _view(row: SyncRun) -> RunView:
    return RunView(
        id=row.id,
        schedule=row.schedule,
        run_key=row.run_key,
        slot_at=row.slot_at,
        desk=row.desk,
        status=str(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=RunCounts.from_dict(row.counts),
        error_summary=row.error_summary,
    )
