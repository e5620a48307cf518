"""What the job worker and the inbox processor share: the database clock, failure facts, heartbeats.

Leases are compared against one clock. On PostgreSQL that is the server's ``now()``, so desks
whose clocks drift apart still agree when a lease has expired; on SQLite (one desk) it is
this process's clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Result,
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.types import UtcDateTime
from westgear_desk.errors import (
    ErrorCategory,
    IntegrationError,
    RateLimitedError,
    categorize,
    is_retryable,
)
from westgear_desk.log import redact_text

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def worker_token(desk_id: str) -> str:
    """A lock owner name unique to one worker object: desk, process and a random suffix."""
    return f"{desk_id[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Clock:
    """SQL expressions for "now" and "now + seconds" on the session's database."""

    postgres: bool

    @classmethod
    def of(cls, bind: Session | Connection) -> Clock:
        engine = bind.get_bind() if isinstance(bind, Session) else bind
        return cls(engine.dialect.name == "postgresql")

    def now(self) -> ColumnElement[datetime]:
        if self.postgres:
            return func.now()
        return bindparam(None, utcnow(), type_=UtcDateTime())

    def plus(self, seconds: float) -> ColumnElement[datetime]:
        if self.postgres:
            return func.now() + timedelta(seconds=seconds)
        return bindparam(None, utcnow() + timedelta(seconds=seconds), type_=UtcDateTime())


def engine_of(session_factory: sessionmaker[Session]) -> Engine:
    """The engine a session factory is bound to."""
    bind = session_factory.kw.get("bind")
    if isinstance(bind, Engine):
        return bind
    with session_factory() as session:
        return session.get_bind().engine


def autocommit(engine: Engine) -> Connection:
    """A pooled connection on which every statement commits by itself (PostgreSQL)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (the result of `Session.execute`)."""
    return int(cast(CursorResult[Any], result).rowcount)


def is_database_outage(exc: BaseException) -> bool:
    """True for a dropped or refused database connection (or a busy SQLite file)."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


@dataclass(frozen=True)
class Failure:
    """What is recorded about one failed attempt, and whether it may be retried."""

    error_class: str
    category: ErrorCategory
    message: str
    retryable: bool
    http_status: int | None = None
    request_id: str | None = None
    retry_after: float | None = None

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """Describe `exc`; a database outage inside a handler counts as transient."""
        outage = is_database_outage(exc)
        text = redact_text(f"{exc}" or type(exc).__name__)[:MESSAGE_LIMIT]
        return cls(
            error_class=_qualified_name(exc),
            category=ErrorCategory.TRANSIENT if outage else categorize(exc),
            message=text,
            retryable=outage or is_retryable(exc),
            http_status=exc.status_code if isinstance(exc, IntegrationError) else None,
            request_id=exc.request_id if isinstance(exc, IntegrationError) else None,
            retry_after=exc.retry_after if isinstance(exc, RateLimitedError) else None,
        )


def _qualified_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    if module in {"builtins", "westgear_desk.errors"}:
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"[:200]


class Heartbeat:
    """Calls `beat` every `interval` seconds on a daemon thread until stopped.

    A failing beat is logged and tried again on the next tick: a short database outage must
    not kill the worker, and a long one lets the lease expire, which is exactly right.
    """

    def __init__(self, interval: float, beat: Callable[[], Any], *, name: str) -> None:
        self._interval = interval
        self._beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:
                log.warning("lease heartbeat failed; trying again next tick", exc_info=True)


class Claimed(Protocol):
    """Anything a worker claims: it has the id its lease is kept by."""

    @property
    def id(self) -> int: ...


ClaimedT = TypeVar("ClaimedT", bound=Claimed)
FINISH_BACKOFF_S = (0.1, 0.3, 1.0, 2.0, 4.0)


class LeaseWorker(Generic[ClaimedT]):
    """The loop the job worker and the inbox processor share.

    Claim a small batch, keep the leases of everything claimed and unfinished alive with a
    heartbeat thread, run the items one by one, and on a stop request hand back what was
    claimed but not started. Subclasses supply the SQL: `_claim_batch`, `_run_item` (which
    calls `_finished`), `_release`, `_extend`, `_expired` and `_reclaim_one`.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        desk_id: str,
        lease_s: float,
        heartbeat_s: float | None,
        batch_size: int,
        rng: random.Random | None,
    ) -> None:
        if lease_s <= 0:
            raise ValueError("lease_s must be positive")
        self._factory = session_factory
        self._lease_s = lease_s
        self._heartbeat_s = heartbeat_s if heartbeat_s is not None else lease_s / 3
        self._batch = max(1, batch_size)
        self._rng = rng or random.Random()
        self.desk_id = desk_id
        self.worker_id = worker_token(desk_id)
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Finish the item in hand, claim no more, hand back claimed items not yet started."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _drain(self, max_items: int) -> int:
        """Claim and run up to `max_items`; a database outage ends the round quietly."""
        done = 0
        with contextlib.ExitStack() as stack:
            stack.callback(self._round_over)
            while done < max_items and not self._stop.is_set():
                batch = self._claim_guarded(min(self._batch, max_items - done))
                if not batch:
                    break
                if done == 0:
                    stack.enter_context(self._heartbeat())
                for index, item in enumerate(batch):
                    if self._stop.is_set():
                        self._release(batch[index:])
                        self._finished(*(rest.id for rest in batch[index:]))
                        return done
                    self._run_item(item)
                    done += 1
        return done

    def _claim_guarded(self, limit: int) -> list[ClaimedT]:
        try:
            items = self._claim_batch(limit)
        except DBAPIError as exc:
            if not is_database_outage(exc):
                raise
            log.warning(
                "%s: claiming failed, database unavailable; next tick tries again", self.worker_id
            )
            return []
        with self._held_lock:
            self._held.update(item.id for item in items)
        return items

    def _finished(self, *ids: int) -> None:
        with self._held_lock:
            self._held.difference_update(ids)

    def _heartbeat(self) -> Heartbeat:
        def beat() -> None:
            with self._held_lock:
                held = sorted(self._held)
            if held:
                self._extend(held)

        return Heartbeat(self._heartbeat_s, beat, name=f"lease-{self.worker_id}")

    def _through_outages(self, write: Callable[[], None], what: str) -> None:
        """Run `write`, retried through a short database outage; then give up to the lease."""
        for pause in (*FINISH_BACKOFF_S, None):
            try:
                write()
                return
            except DBAPIError as exc:
                if not is_database_outage(exc) or pause is None:
                    log.exception(
                        "%s: could not record the outcome; the lease will expire and it runs again",
                        what,
                    )
                    return
                time.sleep(pause)

    def _reclaim_guarded(self, limit: int) -> int:
        try:
            with self._factory() as session, session.begin():
                return self._reclaim(session, limit)
        except DBAPIError as exc:
            if not is_database_outage(exc):
                raise
            log.warning(
                "%s: reclaiming expired leases failed: database unavailable", self.worker_id
            )
            return 0

    def _extend_held(self, table: Table, running: str, ids: Sequence[int], **extra: Any) -> int:
        """Push the lease of the rows in `ids` this worker still holds; return how many."""
        with self._factory() as session, session.begin():
            clock = Clock.of(session)
            held = held_rows(table, running, ids, self.worker_id)
            return rowcount(
                session.execute(held.values(lease_expires_at=clock.plus(self._lease_s), **extra))
            )

    def _hand_back(
        self, table: Table, ids: Sequence[int], *, running: str, back_to: str, noun: str
    ) -> None:
        """Hand back claimed rows that never started (their claim does not count)."""
        try:
            with self._factory() as session, session.begin():
                session.execute(
                    held_rows(table, running, ids, self.worker_id).values(
                        status=back_to,
                        locked_by=None,
                        lease_expires_at=None,
                        attempts=table.c.attempts - 1,
                    )
                )
        except DBAPIError as exc:
            if not is_database_outage(exc):
                raise
            log.warning("could not hand back %d %s; their leases will expire", len(ids), noun)

    def _round_over(self) -> None:
        """Called at the end of every round (release per-round resources)."""

    def _claim_batch(self, limit: int) -> list[ClaimedT]:
        raise NotImplementedError

    def _run_item(self, item: ClaimedT) -> None:
        raise NotImplementedError

    def _release(self, items: Sequence[ClaimedT]) -> None:
        raise NotImplementedError

    def _extend(self, ids: Sequence[int]) -> int:
        raise NotImplementedError

    def _reclaim(self, session: Session, limit: int) -> int:
        """Settle up to `limit` items whose lease ran out; return how many."""
        clock = Clock.of(session)
        expired = session.execute(self._expired(clock, limit)).all()
        for row in expired:
            self._reclaim_one(session, clock, row)
        return len(expired)

    def _expired(self, clock: Clock, limit: int) -> Select[Any]:
        """The query of expired leases (`expired_leases` with the columns `_reclaim_one` reads)."""
        raise NotImplementedError

    def _reclaim_one(self, session: Session, clock: Clock, row: Any) -> None:
        raise NotImplementedError


def held_rows(table: Table, running: str, ids: Sequence[int], worker_id: str) -> Update:
    """An UPDATE of the rows in `ids` that `worker_id` still holds in the `running` status."""
    return (
        update(table)
        .where(table.c.id.in_(ids), table.c.locked_by == worker_id)
        .where(table.c.status == running)
    )


def expired_leases(
    table: Table, running: str, clock: Clock, limit: int, *columns: Any
) -> Select[Any]:
    """The oldest `limit` rows whose lease ran out while `running`, locked, skipping locked ones."""
    return (
        select(*columns)
        .where(table.c.status == running, table.c.lease_expires_at < clock.now())
        .order_by(table.c.lease_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: object,
    reason: str | None,
    details: dict[str, Any],
    correlation_id: str | None = None,
) -> None:
    """Write one audit_log row in the caller's transaction."""
    from westgear_desk.db.models.admin import AuditEntry

    session.execute(
        insert(cast(Table, AuditEntry.__table__)).values(
            username=actor[:64],
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            reason=reason,
            details=details,
            correlation_id=correlation_id,
        )
    )


def _pyformat(sql: str) -> str:
    """`sql` with ``:name`` parameters in psycopg's ``%(name)s`` style, for `exec_driver_sql`."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


# --- the job worker's PostgreSQL fast path ------------------------------------------------
# One round trip per claim batch and one per finished job, on an AUTOCOMMIT connection.
# Plain SQL compiled once: at thousands of jobs per second, building and caching
# SQLAlchemy expressions per job cost more CPU than the database work itself.

PG_CLAIM_JOBS = _pyformat(
    """
    UPDATE jobs SET status = 'running', locked_by = :worker,
        lease_expires_at = now() + make_interval(secs => :lease_s),
        attempts = attempts + 1, updated_at = now()
    WHERE id IN (
        SELECT id FROM jobs
        WHERE status = 'pending' AND run_at <= now() AND kind = ANY(:kinds)
        ORDER BY run_at LIMIT :limit
        FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, payload, idempotency_key, correlation_id, attempts, retry_base
    """
)

#: The guarded finish (only while this worker owns this very attempt) and its attempt row,
#: atomically in one statement: no row comes back when the lease was lost.
PG_FINISH_JOB = _pyformat(
    """
    WITH finished AS (
        UPDATE jobs SET status = :status, locked_by = NULL, lease_expires_at = NULL,
            updated_at = now(), last_error = :message, last_error_class = :error_class,
            last_http_status = :http_status,
            run_at = CASE WHEN :retry THEN now() + make_interval(secs => :delay_s)
                          ELSE run_at END,
            finished_at = CASE WHEN :retry THEN finished_at ELSE now() END
        WHERE id = :job_id AND locked_by = :worker AND status = 'running'
            AND attempts = :attempt_no
        RETURNING id, run_at)
    INSERT INTO job_attempts (job_id, attempt_no, desk, started_at, finished_at, outcome,
        error_class, error_category, message, http_status, request_id, latency_ms, next_run_at)
    SELECT id, :attempt_no, :desk, :started_at, :finished_at, :outcome, :error_class,
        :category, :message, :http_status, :request_id, :latency_ms,
        CASE WHEN :retry THEN run_at END
    FROM finished
    RETURNING id
    """
)
