"""What the job worker and the inbox processor share: the database clock, failure facts, heartbeats.

Leases are compared against one clock. On PostgreSQL that is the server's ``now()``, so desks
whose clocks drift apart still agree when a lease has expired; on SQLite (one desk) it is
this process's clock.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Result,
    Table,
    bindparam,
    func,
    insert,
    text,
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


# --- the job worker's PostgreSQL fast path ------------------------------------------------
# One round trip per claim batch and one per finished job, on an AUTOCOMMIT connection.
# Plain SQL compiled once: at thousands of jobs per second, building and caching
# SQLAlchemy expressions per job cost more CPU than the database work itself.

PG_CLAIM_JOBS = text(
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
PG_FINISH_JOB = text(
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
