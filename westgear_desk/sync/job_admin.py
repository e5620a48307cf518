"""What an admin does with jobs: look at them, retry a dead one (edited or not), discard one.

Every change is written to `audit_log` in the same transaction, with who, why and what
changed. Payload values are not copied into the audit (they may hold personal data); the
names of the changed fields are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from westgear_desk.db.enums import JobStatus
from westgear_desk.db.models.engine import JobAttempt
from westgear_desk.errors import KnownError
from westgear_desk.sync.claims import Clock, audit
from westgear_desk.sync.jobs import JOBS

ATTEMPTS = cast(Table, JobAttempt.__table__)
RETRYABLE_STATES = frozenset({JobStatus.DEAD, JobStatus.DISCARDED, JobStatus.PENDING})
DISCARDABLE_STATES = frozenset({JobStatus.DEAD, JobStatus.PENDING})


class JobActionError(KnownError):
    """The job does not exist, or its status does not allow the action (message says why)."""


@dataclass(frozen=True)
class JobSummary:
    """One line of the job list."""

    id: int
    kind: str
    status: str
    attempts: int
    run_at: datetime
    correlation_id: str | None
    last_error_class: str | None
    last_http_status: int | None
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class AttemptView:
    """One attempt of a job, as the history shows it."""

    attempt_no: int
    desk: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    error_class: str | None
    error_category: str | None
    message: str | None
    http_status: int | None
    request_id: str | None
    latency_ms: int | None
    next_run_at: datetime | None


@dataclass(frozen=True)
class JobDetail:
    """A job with its payload and whole attempt history."""

    summary: JobSummary
    idempotency_key: str
    payload: dict[str, Any]
    last_error: str | None
    locked_by: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    history: list[AttemptView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = self.summary.as_dict()
        rest = asdict(self)
        del rest["summary"]
        data.update(_jsonable(rest))
        return data


_SUMMARY_COLUMNS = (
    JOBS.c.id,
    JOBS.c.kind,
    JOBS.c.status,
    JOBS.c.attempts,
    JOBS.c.run_at,
    JOBS.c.correlation_id,
    JOBS.c.last_error_class,
    JOBS.c.last_http_status,
    JOBS.c.updated_at,
)


def _summary(row: Any) -> JobSummary:
    return JobSummary(
        row.id,
        row.kind,
        str(row.status),
        row.attempts,
        row.run_at,
        row.correlation_id,
        row.last_error_class,
        row.last_http_status,
        row.updated_at,
    )


def list_jobs(
    session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[JobSummary]:
    """The newest jobs first, optionally only of one status and/or kind."""
    query = select(*_SUMMARY_COLUMNS).order_by(JOBS.c.id.desc()).limit(max(1, limit))
    if status:
        query = query.where(JOBS.c.status == JobStatus(status))
    if kind:
        query = query.where(JOBS.c.kind == kind)
    return [_summary(row) for row in session.execute(query)]


def get_job(session: Session, job_id: int) -> JobDetail:
    """The job with its history; raises JobActionError if it does not exist."""
    row = session.execute(select(JOBS).where(JOBS.c.id == job_id)).one_or_none()
    if row is None:
        raise JobActionError(f"job {job_id} does not exist")
    attempts = session.execute(
        select(ATTEMPTS).where(ATTEMPTS.c.job_id == job_id).order_by(ATTEMPTS.c.attempt_no)
    ).all()
    history = [
        AttemptView(
            a.attempt_no,
            a.desk,
            a.started_at,
            a.finished_at,
            _text(a.outcome),
            a.error_class,
            _text(a.error_category),
            a.message,
            a.http_status,
            a.request_id,
            a.latency_ms,
            a.next_run_at,
        )
        for a in attempts
    ]
    return JobDetail(
        _summary(row),
        row.idempotency_key,
        dict(row.payload or {}),
        row.last_error,
        row.locked_by,
        row.lease_expires_at,
        row.created_at,
        row.finished_at,
        history,
    )


def retry_job(
    session: Session,
    job_id: int,
    *,
    actor: str,
    reason: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Make a dead (or discarded, or waiting) job due now with a fresh retry schedule; audited.

    `payload`, if given, replaces the job's payload (it must be plain JSON). Runs in the
    caller's transaction. Raises JobActionError for an unknown job, a running or done
    job, or an empty reason.
    """
    job = _locked(session, job_id, actor, reason)
    if job.status not in RETRYABLE_STATES:
        raise JobActionError(
            f"job {job_id} is {job.status}; only dead, discarded or pending jobs can be retried"
        )
    values: dict[str, Any] = {
        "status": JobStatus.PENDING,
        "run_at": Clock.of(session).now(),
        "locked_by": None,
        "lease_expires_at": None,
        "finished_at": None,
        "retry_base": JOBS.c.attempts,
    }
    details: dict[str, Any] = {"previous_status": str(job.status), "attempts": job.attempts}
    if payload is not None:
        new_payload = _plain_json(payload)
        values["payload"] = new_payload
        details["payload_changed_fields"] = _changed_fields(dict(job.payload or {}), new_payload)
    session.execute(update(JOBS).where(JOBS.c.id == job_id).values(values))
    audit(
        session,
        actor=actor,
        action="job.retry",
        target_type="job",
        target_id=job_id,
        reason=reason,
        details=details,
        correlation_id=job.correlation_id,
    )


def discard_job(session: Session, job_id: int, *, actor: str, reason: str) -> None:
    """Give up a dead or pending job for good (it never runs again unless retried); audited."""
    job = _locked(session, job_id, actor, reason)
    if job.status not in DISCARDABLE_STATES:
        raise JobActionError(
            f"job {job_id} is {job.status}; only dead or pending jobs can be discarded"
        )
    clock = Clock.of(session)
    session.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id)
        .values(status=JobStatus.DISCARDED, finished_at=clock.now(), updated_at=clock.now())
    )
    audit(
        session,
        actor=actor,
        action="job.discard",
        target_type="job",
        target_id=job_id,
        reason=reason,
        details={"previous_status": str(job.status), "attempts": job.attempts},
        correlation_id=job.correlation_id,
    )


def _locked(session: Session, job_id: int, actor: str, reason: str) -> Any:
    if not actor.strip():
        raise JobActionError("an admin action needs the acting user's name")
    if not reason.strip():
        raise JobActionError("an admin action on a job needs a reason")
    job = session.execute(
        select(JOBS.c.status, JOBS.c.attempts, JOBS.c.payload, JOBS.c.correlation_id)
        .where(JOBS.c.id == job_id)
        .with_for_update()
    ).one_or_none()
    if job is None:
        raise JobActionError(f"job {job_id} does not exist")
    return job


def _plain_json(payload: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(dict(payload), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise JobActionError(f"the new payload is not plain JSON: {exc}") from exc


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(json.dumps(data, default=_default)))


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
