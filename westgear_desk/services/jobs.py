"""Dead-job actions for the desk (retry, edit and retry, discard), role-checked and bulk-capable.

Also the Sync health page's other reads from the engine (recent runs, a job's history).

The sync engine's `job_admin` does the work and writes the audit entry; this layer adds the
role check (so a warehouse user is refused without any UI), one transaction per job, and bulk
runs that report progress and stop when cancelled. `run_bulk` is shared with the quarantine
service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import JobStatus
from westgear_desk.db.queries_admin import JobRow, job_rows
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import KnownError, PermissionDeniedError
from westgear_desk.services.auth import CurrentUser, Permission, require_permission
from westgear_desk.settings import Settings
from westgear_desk.sync.flows import FlowEnvironment, build_flow_registry, standard_schedules
from westgear_desk.sync.job_admin import (
    AttemptView,
    JobActionError,
    JobDetail,
    discard_job,
    get_job,
    retry_job,
)
from westgear_desk.sync.runs import RunView, list_runs

__all__ = [
    "AttemptView",
    "BulkProgress",
    "BulkResult",
    "JobActionError",
    "JobDetail",
    "dead_jobs",
    "discard",
    "discard_many",
    "flow_descriptions",
    "job_detail",
    "parse_payload",
    "recent_runs",
    "retry",
    "retry_many",
    "run_bulk",
]


class BulkProgress(Protocol):
    """What a bulk run reports to (the UI's TaskContext fits): progress and cancellation."""

    @property
    def cancelled(self) -> bool: ...

    def report(self, done: int, total: int, text: str = "") -> None: ...


@dataclass
class BulkResult:
    """How a bulk action went: ids done, ids that failed with why, and whether it was cut short."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.done) + len(self.failed)


def run_bulk(
    ids: Sequence[int], action: Callable[[int], object], progress: BulkProgress | None = None
) -> BulkResult:
    """Apply `action` to each id in turn; a KnownError fails that id only; stops when cancelled.

    A PermissionDeniedError stops the whole run (it would fail every id the same way).
    """
    result = BulkResult()
    total = len(ids)
    for index, item in enumerate(ids):
        if progress is not None and progress.cancelled:
            result.cancelled = True
            break
        try:
            action(item)
        except PermissionDeniedError:
            raise
        except KnownError as exc:
            result.failed[item] = str(exc)
        else:
            result.done.append(item)
        if progress is not None:
            progress.report(index + 1, total, str(item))
    return result


def parse_payload(text: str) -> dict[str, Any]:
    """The edited payload as a JSON object; raises JobActionError saying what is wrong."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobActionError(
            f"Ogiltig JSON på rad {exc.lineno}, kolumn {exc.colno}: {exc.msg}. / "
            f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from exc
    if not isinstance(value, dict):
        raise JobActionError(
            "Jobbets data måste vara ett JSON-objekt ({…}). / "
            "The job payload must be a JSON object ({…})."
        )
    return value


def dead_jobs(
    factory: sessionmaker[Session], *, integration: str | None = None, status: str | None = "dead"
) -> list[JobRow]:
    """Jobs needing action (status dead by default), optionally of one integration."""
    wanted = JobStatus(status) if status else None
    with factory() as session:
        return job_rows(session, status=wanted, integration=integration)


def recent_runs(
    factory: sessionmaker[Session], *, schedule: str | None = None, limit: int = 100
) -> list[RunView]:
    """The newest sync runs (of one schedule, if given) with counts and duration."""
    with factory() as session:
        return list_runs(session, schedule=schedule or None, limit=limit)


def flow_descriptions(settings: Settings, factory: sessionmaker[Session]) -> dict[str, str]:
    """Each scheduled flow's name and description ("Sharespine: …"), from the engine modules."""
    env = FlowEnvironment(
        settings=settings, schedules=standard_schedules(settings.schedules), session_factory=factory
    )
    return {flow.name: flow.description for flow in build_flow_registry(env)}


def job_detail(factory: sessionmaker[Session], job_id: int) -> JobDetail:
    """The job with its payload and whole attempt history; JobActionError if unknown."""
    with factory() as session:
        return get_job(session, job_id)


def retry(
    factory: sessionmaker[Session],
    user: CurrentUser,
    job_id: int,
    reason: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Make a dead job due now (with `payload` replacing its data if given); audited."""
    require_permission(user, Permission.RETRY_JOBS)
    if payload is not None:
        require_permission(user, Permission.EDIT_JOB_PAYLOAD)
    with unit_of_work(factory) as session:
        retry_job(session, job_id, actor=user.username, reason=reason, payload=payload)


def discard(factory: sessionmaker[Session], user: CurrentUser, job_id: int, reason: str) -> None:
    """Give a dead job up for good; audited."""
    require_permission(user, Permission.DISCARD_JOBS)
    with unit_of_work(factory) as session:
        discard_job(session, job_id, actor=user.username, reason=reason)


def retry_many(
    factory: sessionmaker[Session],
    user: CurrentUser,
    job_ids: Sequence[int],
    reason: str,
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Retry each job in its own transaction; progress per job; stops when cancelled."""
    require_permission(user, Permission.RETRY_JOBS)
    return run_bulk(job_ids, lambda job_id: retry(factory, user, job_id, reason), progress)


def discard_many(
    factory: sessionmaker[Session],
    user: CurrentUser,
    job_ids: Sequence[int],
    reason: str,
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Discard each job in its own transaction; progress per job; stops when cancelled."""
    require_permission(user, Permission.DISCARD_JOBS)
    return run_bulk(job_ids, lambda job_id: discard(factory, user, job_id, reason), progress)
