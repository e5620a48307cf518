"""Claims due outbox jobs, runs their handlers under a lease, and records every attempt.

Claiming is one statement (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``) that
takes a small batch; the claim commits before any handler runs, so handlers never hold a
row lock. `attempts` doubles as a fencing token: finishing is a guarded UPDATE that only
succeeds while this worker still owns that very attempt, so a worker that lost its lease
(and whose job another desk took over) cannot overwrite the newer outcome.

On PostgreSQL the bookkeeping runs on one AUTOCOMMIT connection per round: a claim is one
round trip per batch, and the guarded finish plus its `job_attempts` row is one statement
(a data-modifying CTE), so a job costs one commit of its own. SQLite (one desk) runs the
same logic as short ``BEGIN IMMEDIATE`` transactions."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    Update,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.driver_errors import as_sqlalchemy_error
from westgear_desk.db.enums import JobAttemptOutcome, JobStatus
from westgear_desk.db.models.engine import JobAttempt
from westgear_desk.errors import ErrorCategory
from westgear_desk.log import correlation_scope
from westgear_desk.sync.claims import (
    PG_CLAIM_JOBS,
    PG_FINISH_JOB,
    Clock,
    Failure,
    LeaseWorker,
    autocommit,
    engine_of,
    expired_leases,
    rowcount,
    utcnow,
)
from westgear_desk.sync.jobs import JOBS, JobContext, JobRegistry
from westgear_desk.sync.retry import PolicyResolver

ATTEMPTS = cast(Table, JobAttempt.__table__)
log = logging.getLogger(__name__)

DEFAULT_BATCH = 10
LEASE_LOST = "LeaseExpired"


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker owns until its lease expires."""

    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    correlation_id: str | None
    attempt_no: int
    retry_base: int = 0

    @property
    def policy_attempt(self) -> int:
        """The attempt number the retry policy sees (counted from the last manual retry)."""
        return max(self.attempt_no - self.retry_base, 1)


@dataclass(frozen=True)
class _Outcome:
    status: JobStatus
    outcome: JobAttemptOutcome
    delay_s: float | None
    failure: Failure | None
    started: datetime
    latency_ms: int


def _claimed_jobs(rows: Sequence[Sequence[Any]]) -> list[ClaimedJob]:
    """Jobs from rows of (id, kind, payload, key, correlation id, attempts, retry base)."""
    jobs = [ClaimedJob(r[0], r[1], dict(r[2] or {}), r[3], r[4], r[5], r[6]) for r in rows]
    return sorted(jobs, key=lambda job: job.id)


def _driver_rows(connection: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run `sql` on the psycopg connection under `connection` (the hot path skips SQLAlchemy's
    execution machinery); driver errors come back as SQLAlchemy's, so outages are recognised.
    """
    driver = connection.connection.driver_connection
    try:
        return list(driver.execute(sql, params).fetchall())  # type: ignore[union-attr]
    except psycopg.Error as exc:
        raise as_sqlalchemy_error(sql, exc) from exc


class JobWorker(LeaseWorker[ClaimedJob]):
    """Runs due jobs of the kinds in `registry`; many workers on many desks may run at once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: JobRegistry,
        *,
        desk_id: str,
        policies: PolicyResolver,
        lease_s: float = 60.0,
        heartbeat_s: float | None = None,
        batch_size: int = DEFAULT_BATCH,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            session_factory,
            desk_id=desk_id,
            lease_s=lease_s,
            heartbeat_s=heartbeat_s,
            batch_size=batch_size,
            rng=rng,
        )
        self._engine = engine_of(session_factory)
        self._postgres = self._engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._registry = registry
        self._policies = policies

    def run_once(self, max_jobs: int = 50) -> int:
        """Claim due jobs and run them one by one; return how many ran.

        A database outage while claiming ends the round quietly (the next tick retries).
        """
        return self._drain(max_jobs)

    def reclaim_expired(self, limit: int = 100) -> int:
        """Put jobs whose lease expired back to pending (an attempt with outcome lease_lost)."""
        return self._reclaim_guarded(limit)

    # --- claiming ----------------------------------------------------------------------

    def _claim_batch(self, limit: int) -> list[ClaimedJob]:
        kinds = self._registry.kinds
        if not kinds or limit < 1:
            return []
        with self._atomic() as connection:
            claim = self._claim_pg if self._postgres else self._claim
            return claim(connection, kinds, limit)

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[Connection]:
        """A connection in which one statement is atomic (PostgreSQL), or a transaction (SQLite).

        On PostgreSQL the worker keeps one AUTOCOMMIT connection for its bookkeeping during
        a round, so claiming and finishing cost one round trip each, with no BEGIN, no
        COMMIT and no pool check-out per job. A connection that failed is dropped.
        """
        if not self._postgres:
            with self._engine.begin() as connection:
                yield connection
            return
        if self._connection is None:
            self._connection = autocommit(self._engine)
        try:
            yield self._connection
        except BaseException:
            self._drop_connection()
            raise

    def _round_over(self) -> None:
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def _claim(self, connection: Connection, kinds: Sequence[str], limit: int) -> list[ClaimedJob]:
        clock = Clock.of(connection)
        due: Select[Any] = (
            select(JOBS.c.id)
            .where(JOBS.c.status == JobStatus.PENDING, JOBS.c.run_at <= clock.now())
            .where(JOBS.c.kind.in_(kinds))
            .order_by(JOBS.c.run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(JOBS)
            .where(JOBS.c.id.in_(due))
            .values(
                status=JobStatus.RUNNING,
                locked_by=self.worker_id,
                lease_expires_at=clock.plus(self._lease_s),
                attempts=JOBS.c.attempts + 1,
                updated_at=clock.now(),
            )
            .returning(
                JOBS.c.id,
                JOBS.c.kind,
                JOBS.c.payload,
                JOBS.c.idempotency_key,
                JOBS.c.correlation_id,
                JOBS.c.attempts,
                JOBS.c.retry_base,
            )
        )
        rows = connection.execute(claim).all()
        return _claimed_jobs(rows)

    def _claim_pg(
        self, connection: Connection, kinds: Sequence[str], limit: int
    ) -> list[ClaimedJob]:
        params = {
            "worker": self.worker_id,
            "lease_s": self._lease_s,
            "kinds": list(kinds),
            "limit": limit,
        }
        return _claimed_jobs(_driver_rows(connection, PG_CLAIM_JOBS, params))

    # --- running -----------------------------------------------------------------------

    def _run_item(self, job: ClaimedJob) -> None:
        handler = self._registry.handler_for(job.kind)
        context = JobContext(
            job_id=job.id,
            kind=job.kind,
            payload=job.payload,
            idempotency_key=job.idempotency_key,
            correlation_id=job.correlation_id,
            attempt_no=job.attempt_no,
            session_factory=self._factory,
            _heartbeat=lambda: self._extend([job.id]) > 0,
        )
        started = utcnow()
        clock_start = time.perf_counter()
        failure: Failure | None = None
        with correlation_scope(job.correlation_id):
            try:
                if handler is None:
                    raise LookupError(f"no handler registered for job kind {job.kind!r}")
                handler(context)
            except Exception as exc:
                failure = Failure.of(exc)
                log.warning(
                    "job %s (%s) attempt %s failed: %s",
                    job.id,
                    job.kind,
                    job.attempt_no,
                    failure.error_class,
                )
            latency_ms = round((time.perf_counter() - clock_start) * 1000)
            self._finish(job, self._outcome(job, failure, started, latency_ms))
        self._finished(job.id)

    def _outcome(
        self, job: ClaimedJob, failure: Failure | None, started: datetime, latency_ms: int
    ) -> _Outcome:
        if failure is None:
            return _Outcome(
                JobStatus.DONE, JobAttemptOutcome.SUCCEEDED, None, None, started, latency_ms
            )
        delay = None
        if failure.retryable:
            policy = self._policies.for_kind(job.kind)
            delay = policy.delay_for(
                job.policy_attempt, retry_after=failure.retry_after, rng=self._rng
            )
        if delay is None:
            return _Outcome(
                JobStatus.DEAD, JobAttemptOutcome.DEAD, None, failure, started, latency_ms
            )
        return _Outcome(
            JobStatus.PENDING, JobAttemptOutcome.RETRY, delay, failure, started, latency_ms
        )

    def _finish(self, job: ClaimedJob, outcome: _Outcome) -> None:
        """Record the outcome; retried through short database outages, then left to the lease."""

        def write() -> None:
            with self._atomic() as connection:
                if not self._write_outcome(connection, job, outcome):
                    log.warning(
                        "job %s: lease lost before attempt %s finished; outcome not recorded",
                        job.id,
                        job.attempt_no,
                    )

        self._through_outages(write, f"job {job.id}")

    def _write_outcome(self, connection: Connection, job: ClaimedJob, outcome: _Outcome) -> bool:
        """The guarded UPDATE and the attempt row; one statement on PostgreSQL."""
        if self._postgres:
            return (
                len(_driver_rows(connection, PG_FINISH_JOB, self._finish_params(job, outcome))) == 1
            )
        clock = Clock.of(connection)
        next_run = clock.plus(outcome.delay_s) if outcome.delay_s is not None else None
        if rowcount(connection.execute(self._guarded_update(clock, job, outcome, next_run))) != 1:
            return False
        columns = self._attempt_columns(job, outcome, next_run if next_run is not None else null())
        connection.execute(insert(ATTEMPTS).values(job_id=job.id, **columns))
        return True

    def _finish_params(self, job: ClaimedJob, outcome: _Outcome) -> dict[str, Any]:
        failure = outcome.failure
        return {
            "job_id": job.id,
            "worker": self.worker_id,
            "attempt_no": job.attempt_no,
            "status": outcome.status.value,
            "outcome": outcome.outcome.value,
            "retry": outcome.delay_s is not None,
            "delay_s": outcome.delay_s or 0.0,
            "desk": self.desk_id,
            "started_at": outcome.started,
            "finished_at": utcnow(),
            "latency_ms": outcome.latency_ms,
            "message": failure.message if failure else None,
            "error_class": failure.error_class if failure else None,
            "category": failure.category.value if failure else None,
            "http_status": failure.http_status if failure else None,
            "request_id": failure.request_id if failure else None,
        }

    def _guarded_update(
        self, clock: Clock, job: ClaimedJob, outcome: _Outcome, next_run: Any
    ) -> Update:
        failure = outcome.failure
        values: dict[str, Any] = {
            "status": outcome.status,
            "locked_by": None,
            "lease_expires_at": None,
            "updated_at": clock.now(),
            "last_error": failure.message if failure else None,
            "last_error_class": failure.error_class if failure else None,
            "last_http_status": failure.http_status if failure else None,
        }
        if next_run is not None:
            values["run_at"] = next_run
        else:
            values["finished_at"] = clock.now()
        return (
            update(JOBS)
            .where(JOBS.c.id == job.id, JOBS.c.locked_by == self.worker_id)
            .where(JOBS.c.status == JobStatus.RUNNING, JOBS.c.attempts == job.attempt_no)
            .values(values)
        )

    def _attempt_columns(
        self, job: ClaimedJob, outcome: _Outcome, next_run: ColumnElement[Any]
    ) -> dict[str, ColumnElement[Any]]:
        failure = outcome.failure
        values: dict[str, Any] = {
            "attempt_no": job.attempt_no,
            "desk": self.desk_id,
            "started_at": outcome.started,
            "finished_at": utcnow(),
            "outcome": outcome.outcome,
            "error_class": failure.error_class if failure else None,
            "error_category": failure.category if failure else None,
            "message": failure.message if failure else None,
            "http_status": failure.http_status if failure else None,
            "request_id": failure.request_id if failure else None,
            "latency_ms": outcome.latency_ms,
        }
        columns: dict[str, ColumnElement[Any]] = {
            name: literal(value, ATTEMPTS.c[name].type) for name, value in values.items()
        }
        columns["next_run_at"] = next_run
        return columns

    # --- leases ------------------------------------------------------------------------

    def _extend(self, ids: Sequence[int]) -> int:
        # updated_at stays the claim time: a reclaim reports it as the attempt's start
        return self._extend_held(JOBS, JobStatus.RUNNING, ids, updated_at=JOBS.c.updated_at)

    def _release(self, jobs: Sequence[ClaimedJob]) -> None:
        """Hand back claimed jobs that never started (their claim does not count)."""
        ids = [job.id for job in jobs]
        self._hand_back(
            JOBS, ids, running=JobStatus.RUNNING, back_to=JobStatus.PENDING, noun="jobs"
        )

    def _expired(self, clock: Clock, limit: int) -> Select[Any]:
        return expired_leases(
            JOBS,
            JobStatus.RUNNING,
            clock,
            limit,
            JOBS.c.id,
            JOBS.c.kind,
            JOBS.c.attempts,
            JOBS.c.retry_base,
            JOBS.c.locked_by,
            JOBS.c.updated_at,
        )

    def _reclaim_one(self, session: Session, clock: Clock, row: Any) -> None:
        attempt_no = max(int(row.attempts), 1)
        policy_attempt = max(attempt_no - int(row.retry_base), 1)
        delay = self._policies.for_kind(row.kind).delay_for(policy_attempt, rng=self._rng)
        owner = str(row.locked_by or "?")
        message = f"lease expired: {owner} stopped answering during attempt {attempt_no}"
        next_run = clock.plus(delay) if delay is not None else None
        values: dict[str, Any] = {
            "status": JobStatus.PENDING if next_run is not None else JobStatus.DEAD,
            "locked_by": None,
            "lease_expires_at": None,
            "updated_at": clock.now(),
            "last_error": message,
            "last_error_class": LEASE_LOST,
            "last_http_status": None,
        }
        if next_run is not None:
            values["run_at"] = next_run
        else:
            values["finished_at"] = clock.now()
        session.execute(update(JOBS).where(JOBS.c.id == row.id).values(values))
        session.execute(
            insert(ATTEMPTS).values(
                job_id=row.id,
                attempt_no=attempt_no,
                desk=owner.split(":", 1)[0],
                started_at=row.updated_at,
                finished_at=utcnow(),
                outcome=JobAttemptOutcome.LEASE_LOST,
                error_class=LEASE_LOST,
                error_category=ErrorCategory.TRANSIENT,
                message=message,
                next_run_at=next_run,
            )
        )
        log.warning("job %s: %s", row.id, message)
