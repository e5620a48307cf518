"""Per-integration health for the status bar lights, from recent sync runs, dead jobs and calls.

The rule (`classify`), so a light means the same thing everywhere:
- failing: the latest run of one of its schedules failed, or its latest 3 calls all failed
  (no answer or 5xx), i.e. it is failing right now;
- degraded: it has dead jobs ("needs action"), a failed run in the last 24 hours, or more than
  one call in ten failed in the last 15 minutes;
- ok: something ran or was called in the last 24 hours and none of the above;
- idle: nothing at all yet.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from westgear_desk.db.enums import JobStatus, SyncRunStatus
from westgear_desk.db.models import ApiCall, Job, SyncRun

CALL_WINDOW: Final = dt.timedelta(minutes=15)
#: This many latest calls failing in a row make the light red.
FAILING_STREAK: Final = 3
RUN_WINDOW: Final = dt.timedelta(hours=24)
#: Standard flow names (sync/flows.py `standard_schedules`) and the integration they serve.
SCHEDULE_INTEGRATIONS: Final[dict[str, str]] = {
    "stock_price": "sharespine",
    "catalog": "sharespine",
    "customers_orders": "sharespine",
    "full_refresh": "sharespine",
    "orders": "sharespine",
    "tracking": "postnord",
}


class HealthLevel(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAILING = "failing"
    IDLE = "idle"


@dataclass(frozen=True)
class IntegrationHealth:
    """The facts behind one light, and the light itself."""

    integration: str
    level: HealthLevel
    last_run_at: dt.datetime | None
    last_run_failed: bool
    failed_runs_24h: int
    dead_jobs: int
    calls_15m: int
    errors_15m: int
    failing_streak: int = 0


def integration_of_schedule(schedule: str, integrations: Sequence[str]) -> str | None:
    """The integration a schedule belongs to: its name prefix, else the standard mapping."""
    for name in integrations:
        if schedule == name or schedule.startswith((f"{name}.", f"{name}_", f"{name}:")):
            return name
    mapped = SCHEDULE_INTEGRATIONS.get(schedule)
    return mapped if mapped in integrations else None


def classify(
    *,
    last_run_failed: bool,
    failed_runs_24h: int,
    dead_jobs: int,
    calls: int,
    errors: int,
    any_activity: bool,
    failing_streak: int = 0,
) -> HealthLevel:
    """Apply the rule in the module docstring."""
    if last_run_failed or failing_streak >= FAILING_STREAK:
        return HealthLevel.FAILING
    if dead_jobs or failed_runs_24h or (calls and errors * 10 > calls):
        return HealthLevel.DEGRADED
    return HealthLevel.OK if any_activity else HealthLevel.IDLE


@dataclass
class _Facts:
    last_run_at: dt.datetime | None = None
    last_failed: bool = False
    latest_per_schedule: dict[str, bool] | None = None
    failed_24h: int = 0
    dead: int = 0
    calls: int = 0
    errors: int = 0
    streak: int = 0


def integration_health(
    session: Session, integrations: Sequence[str], now: dt.datetime | None = None
) -> list[IntegrationHealth]:
    """Return one IntegrationHealth per name in `integrations`, in that order."""
    now = now or dt.datetime.now(dt.UTC)
    facts = {name: _Facts(latest_per_schedule={}) for name in integrations}
    _add_runs(session, facts, integrations, now)
    _add_dead_jobs(session, facts)
    _add_calls(session, facts, now)
    return [_result(name, facts[name]) for name in integrations]


def _add_runs(
    session: Session, facts: dict[str, _Facts], integrations: Sequence[str], now: dt.datetime
) -> None:
    rows = session.execute(
        select(SyncRun.schedule, SyncRun.status, SyncRun.started_at)
        .where(SyncRun.started_at >= now - RUN_WINDOW)
        .order_by(SyncRun.started_at.desc())
    )
    for schedule, status, started_at in rows:
        name = integration_of_schedule(schedule, integrations)
        if name is None or status == SyncRunStatus.RUNNING:
            continue
        fact = facts[name]
        failed = status == SyncRunStatus.FAILED
        latest = fact.latest_per_schedule
        assert latest is not None
        if schedule not in latest:  # rows come newest first
            latest[schedule] = failed
        if fact.last_run_at is None:
            fact.last_run_at = started_at
        fact.failed_24h += int(failed)
    for fact in facts.values():
        fact.last_failed = any((fact.latest_per_schedule or {}).values())


def _add_dead_jobs(session: Session, facts: dict[str, _Facts]) -> None:
    rows = session.execute(
        select(Job.kind, func.count(Job.id)).where(Job.status == JobStatus.DEAD).group_by(Job.kind)
    )
    for kind, count in rows:
        name = kind.split(".", 1)[0]
        if name in facts:
            facts[name].dead += int(count)


def _add_calls(session: Session, facts: dict[str, _Facts], now: dt.datetime) -> None:
    failed = or_(ApiCall.status_code.is_(None), ApiCall.status_code >= 500)
    rows = session.execute(
        select(
            ApiCall.system,
            func.count(ApiCall.id),
            func.count(ApiCall.id).filter(failed),
        )
        .where(ApiCall.at >= now - CALL_WINDOW)
        .group_by(ApiCall.system)
    )
    for system, calls, errors in rows:
        if system in facts:
            facts[system].calls += int(calls)
            facts[system].errors += int(errors)
    for system, fact in facts.items():
        if fact.errors:
            fact.streak = _failing_streak(session, system, now)


def _failing_streak(session: Session, system: str, now: dt.datetime) -> int:
    """How many of the system's latest calls (up to FAILING_STREAK) failed in a row."""
    latest = session.scalars(
        select(ApiCall.status_code)
        .where(ApiCall.system == system, ApiCall.at >= now - CALL_WINDOW)
        .order_by(ApiCall.at.desc(), ApiCall.id.desc())
        .limit(FAILING_STREAK)
    )
    streak = 0
    for status in latest:
        if status is not None and status < 500:
            break
        streak += 1
    return streak


def _result(name: str, fact: _Facts) -> IntegrationHealth:
    level = classify(
        last_run_failed=fact.last_failed,
        failed_runs_24h=fact.failed_24h,
        dead_jobs=fact.dead,
        calls=fact.calls,
        errors=fact.errors,
        any_activity=fact.last_run_at is not None or fact.calls > 0,
        failing_streak=fact.streak,
    )
    return IntegrationHealth(
        name,
        level,
        fact.last_run_at,
        fact.last_failed,
        fact.failed_24h,
        fact.dead,
        fact.calls,
        fact.errors,
        fact.streak,
    )
