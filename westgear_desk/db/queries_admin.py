"""Read models for the admin screens: quarantine, jobs, inbox, the API-call log and 24 h stats.

Screens get frozen dataclasses, never ORM rows. Lists are newest first and capped; the
quarantine list is served as ids plus rows so its table can page lazily.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select, Text, case, cast, func, or_, select
from sqlalchemy.orm import Session

from westgear_desk.db.enums import InboxStatus, JobStatus, QuarantineStatus, RecordType
from westgear_desk.db.models import ApiCall, AuditEntry, InboxEvent, Job, QuarantineEntry
from westgear_desk.domain.quarantine import Reason

DEFAULT_LIMIT: Final = 500
SLOW_CALL_MS: Final = 2000


# ------------------------------------------------------------------------------- quarantine


def reason_from_json(data: Any) -> Reason:
    """A stored reason as a `Reason`; odd shapes (plain text, one language) stay readable."""
    if not isinstance(data, dict):
        text = str(data)
        return Reason("unknown", "", text, text)
    code = str(data.get("code") or "unknown")
    en = str(data.get("message_en") or data.get("message_sv") or code)
    sv = str(data.get("message_sv") or en)
    return Reason(code, str(data.get("field") or ""), sv, en)


@dataclass(frozen=True)
class QuarantineQuery:
    status: QuarantineStatus | None = QuarantineStatus.OPEN
    record_type: RecordType | None = None
    search: str = ""


@dataclass(frozen=True)
class QuarantineRow:
    id: int
    source_system: str
    record_type: str
    external_id: str
    status: str
    reasons: tuple[Reason, ...]
    overridden: tuple[str, ...]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_by: str | None
    #: What a person recognises the record by (SKU, name, order number), from the payload.
    label: str | None = None

    @property
    def open_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.code not in self.overridden)


@dataclass(frozen=True)
class QuarantineDetail:
    row: QuarantineRow
    raw_payload: Any
    resolved_at: dt.datetime | None
    resolution_note: str | None
    history: tuple[AuditView, ...]


@dataclass(frozen=True)
class AuditView:
    at: dt.datetime
    username: str
    action: str
    reason: str | None
    details: dict[str, Any]


def _quarantine_id_query(query: QuarantineQuery) -> Select[Any]:
    q = QuarantineEntry
    stmt = select(q.id).order_by(q.last_seen_at.desc(), q.id.desc())
    if query.status is not None:
        stmt = stmt.where(q.status == query.status)
    if query.record_type is not None:
        stmt = stmt.where(q.record_type == query.record_type)
    text = query.search.strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        stmt = stmt.where(
            or_(
                q.external_id.ilike(pattern, escape="\\"),
                cast(q.reasons, Text).ilike(pattern, escape="\\"),
                cast(q.raw_payload, Text).ilike(pattern, escape="\\"),
            )
        )
    return stmt


def quarantine_ids(session: Session, query: QuarantineQuery) -> list[int]:
    """Ids of the quarantine entries matching `query`, most recently seen first."""
    return list(session.scalars(_quarantine_id_query(query)))


def quarantine_rows(session: Session, ids: Sequence[int]) -> list[QuarantineRow]:
    """Rows for `ids` in the order given (vanished ids left out)."""
    if not ids:
        return []
    entries = session.scalars(select(QuarantineEntry).where(QuarantineEntry.id.in_(list(ids))))
    by_id = {entry.id: _quarantine_row(entry) for entry in entries}
    return [by_id[i] for i in ids if i in by_id]


def quarantine_detail(session: Session, entry_id: int) -> QuarantineDetail | None:
    """One entry with its raw payload and its audit history, or None if it does not exist."""
    entry = session.get(QuarantineEntry, entry_id)
    if entry is None:
        return None
    history = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_type == "quarantine", AuditEntry.target_id == str(entry_id))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return QuarantineDetail(
        _quarantine_row(entry),
        entry.raw_payload,
        entry.resolved_at,
        entry.resolution_note,
        tuple(AuditView(a.at, a.username, a.action, a.reason, dict(a.details)) for a in history),
    )


def _quarantine_row(entry: QuarantineEntry) -> QuarantineRow:
    return QuarantineRow(
        id=entry.id,
        source_system=str(entry.source_system),
        record_type=str(entry.record_type),
        external_id=entry.external_id,
        status=str(entry.status),
        reasons=tuple(reason_from_json(r) for r in entry.reasons or []),
        overridden=tuple(str(code) for code in entry.overridden_reasons or []),
        first_seen_at=entry.first_seen_at,
        last_seen_at=entry.last_seen_at,
        resolved_by=entry.resolved_by,
        label=payload_label(entry.raw_payload),
    )


LABEL_KEYS: Final = ("sku", "orderNumber", "order_number", "name", "title", "email")


def payload_label(payload: Any) -> str | None:
    """The first human-recognisable value of a payload (SKU, order number, name …)."""
    if not isinstance(payload, dict):
        return None
    for key in LABEL_KEYS:
        value = payload.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()[:200]
    return None


# ------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobRow:
    """One job of the "needs action" list."""

    id: int
    kind: str
    status: str
    attempts: int
    correlation_id: str | None
    last_error_class: str | None
    last_error: str | None
    last_http_status: int | None
    updated_at: dt.datetime

    @property
    def integration(self) -> str:
        return self.kind.split(".", 1)[0]


def job_rows(
    session: Session,
    *,
    status: JobStatus | None = JobStatus.DEAD,
    integration: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[JobRow]:
    """Jobs of `status` (default: dead, i.e. needing action), most recently changed first."""
    stmt = select(Job).order_by(Job.updated_at.desc(), Job.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if integration:
        stmt = stmt.where(or_(Job.kind == integration, Job.kind.like(f"{integration}.%")))
    return [
        JobRow(
            j.id,
            j.kind,
            str(j.status),
            j.attempts,
            j.correlation_id,
            j.last_error_class,
            j.last_error,
            j.last_http_status,
            j.updated_at,
        )
        for j in session.scalars(stmt)
    ]


# ------------------------------------------------------------------------------- inbox


@dataclass(frozen=True)
class InboxQuery:
    source: str | None = None
    status: InboxStatus | None = None
    search: str = ""
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class InboxRow:
    id: int
    source: str
    event_type: str
    status: str
    attempts: int
    signature_ok: bool
    correlation_id: str | None
    received_at: dt.datetime
    processed_at: dt.datetime | None
    last_error: str | None


def inbox_rows(session: Session, query: InboxQuery) -> list[InboxRow]:
    """Inbox events matching `query` (search: event type or correlation id), newest first."""
    e = InboxEvent
    stmt = select(e).order_by(e.received_at.desc(), e.id.desc()).limit(query.limit)
    if query.source:
        stmt = stmt.where(e.source == query.source)
    if query.status is not None:
        stmt = stmt.where(e.status == query.status)
    text = query.search.strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        stmt = stmt.where(or_(e.event_type.ilike(pattern, escape="\\"), e.correlation_id == text))
    return [
        InboxRow(
            r.id,
            r.source,
            r.event_type,
            str(r.status),
            r.attempts,
            r.signature_ok,
            r.correlation_id,
            r.received_at,
            r.processed_at,
            r.last_error,
        )
        for r in session.scalars(stmt)
    ]


def inbox_sources(session: Session) -> list[str]:
    return sorted(session.scalars(select(InboxEvent.source).distinct()))


# ------------------------------------------------------------------------------- API calls


@dataclass(frozen=True)
class ApiCallQuery:
    system: str | None = None
    #: "ok" (2xx/3xx), "error" (no status or >= 400), or None for all.
    outcome: str | None = None
    min_latency_ms: int | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class ApiCallRow:
    id: int
    at: dt.datetime
    system: str
    method: str
    endpoint: str
    status_code: int | None
    latency_ms: int
    correlation_id: str | None
    request_id: str | None
    error_code: str | None

    @property
    def failed(self) -> bool:
        return self.status_code is None or self.status_code >= 400


def _failed_call() -> Any:
    return or_(ApiCall.status_code.is_(None), ApiCall.status_code >= 400)


def api_call_rows(session: Session, query: ApiCallQuery) -> list[ApiCallRow]:
    """Calls matching `query`, newest first (capped at `query.limit`)."""
    a = ApiCall
    stmt = select(a).order_by(a.at.desc(), a.id.desc()).limit(query.limit)
    if query.system:
        stmt = stmt.where(a.system == query.system)
    if query.outcome == "error":
        stmt = stmt.where(_failed_call())
    elif query.outcome == "ok":
        stmt = stmt.where(a.status_code < 400)
    if query.min_latency_ms is not None:
        stmt = stmt.where(a.latency_ms >= query.min_latency_ms)
    return [
        ApiCallRow(
            r.id,
            r.at,
            r.system,
            r.method,
            r.endpoint,
            r.status_code,
            r.latency_ms,
            r.correlation_id,
            r.request_id,
            r.error_code,
        )
        for r in session.scalars(stmt)
    ]


def api_systems(session: Session) -> list[str]:
    return sorted(session.scalars(select(ApiCall.system).distinct()))


@dataclass(frozen=True)
class HourStats:
    """Calls in one hour: how many, how many failed, mean and worst latency."""

    start: dt.datetime
    calls: int
    errors: int
    avg_latency_ms: float
    max_latency_ms: int


def call_stats_24h(
    session: Session, *, now: dt.datetime | None = None, system: str | None = None
) -> list[HourStats]:
    """24 hourly buckets ending at `now` (oldest first); empty hours have zero calls.

    Bucketing is a portable CASE over the 24 boundaries, so SQLite and PostgreSQL agree.
    """
    end = now or dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(hours=24)
    starts = [start + dt.timedelta(hours=h) for h in range(24)]
    bucket = case(*((ApiCall.at < s + dt.timedelta(hours=1), i) for i, s in enumerate(starts)))
    stmt = (
        select(
            bucket.label("bucket"),
            func.count(),
            func.sum(case((_failed_call(), 1), else_=0)),
            func.avg(ApiCall.latency_ms),
            func.max(ApiCall.latency_ms),
        )
        .where(ApiCall.at >= start, ApiCall.at < end)
        .group_by(bucket)
    )
    if system:
        stmt = stmt.where(ApiCall.system == system)
    found = {int(row[0]): row for row in session.execute(stmt) if row[0] is not None}
    stats = []
    for index, hour in enumerate(starts):
        row = found.get(index)
        if row is None:
            stats.append(HourStats(hour, 0, 0, 0.0, 0))
        else:
            stats.append(
                HourStats(hour, int(row[1]), int(row[2] or 0), float(row[3] or 0), int(row[4] or 0))
            )
    return stats


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
