"""The inbox: every inbound webhook or callback is stored raw first, then processed separately.

`record` commits the raw event in its own short transaction before anything else happens,
so a delivery the caller answered 2xx is never lost; a redelivery with the same dedupe key
(the provider's event id, or the SHA-256 of the body) is recognised and causes no second
effect. Dedupe keys are kept forever, because providers retry for days. On PostgreSQL the
write is one prepared autocommit statement on a connection the inbox holds
(`inbox_fastpath`); SQLite writes through SQLAlchemy in a short write transaction.

An event whose signature did not verify is kept for the record (status ``ignored``) under a
key derived from its body, so a forged event can never claim a genuine event's id.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import InboxStatus
from westgear_desk.log import SECRET, current_correlation_id, key_kind
from westgear_desk.sync.claims import autocommit, engine_of, utcnow
from westgear_desk.sync.inbox_fastpath import writer_for
from westgear_desk.sync.inbox_worker import (
    ATTEMPTS as INBOX_ATTEMPTS,
)
from westgear_desk.sync.inbox_worker import (
    EVENTS,
    EventIgnored,
    InboxContext,
    InboxProcessor,
    InboxRegistry,
    Processor,
)
from westgear_desk.sync.retry import PolicyResolver

__all__ = [
    "AttemptView",
    "EventIgnored",
    "EventSummary",
    "InboxContext",
    "InboxProcessor",
    "InboxRegistry",
    "Processor",
    "RecordResult",
    "get_event",
    "list_events",
    "record",
    "replay",
]

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_KEY_LENGTH = 200
UNVERIFIED_PREFIX = "unverified:"
SIGNATURE_FAILED = "signature did not verify; kept for the record, never processed"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordResult:
    """The stored event's id, and whether it had been recorded before (a redelivery)."""

    event_id: int
    duplicate: bool


def record(  # noqa: PLR0917 - the inbox's documented call shape
    session_factory: sessionmaker[Session],
    source: str,
    dedupe_key: str | None,
    headers: Mapping[str, str],
    raw_body: bytes,
    signature_ok: bool,
    *,
    event_type: str,
    correlation_id: str | None = None,
) -> RecordResult:
    """Store one inbound event in its own transaction; a known dedupe key is a duplicate.

    Raises ValueError for an empty or over-long source or event type, or a body over 5 MiB.
    """
    _validate(source, event_type, raw_body)
    key = dedupe_key_for(dedupe_key, raw_body, signature_ok)
    values: dict[str, Any] = {
        "source": source,
        "event_type": event_type,
        "dedupe_key": key,
        "headers": clean_headers(headers),
        "raw_body": bytes(raw_body),
        "signature_ok": signature_ok,
        "correlation_id": correlation_id or current_correlation_id(),
        "status": InboxStatus.RECEIVED if signature_ok else InboxStatus.IGNORED,
        "attempts": 0,
        "last_error": None if signature_ok else SIGNATURE_FAILED,
    }
    engine = engine_of(session_factory)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        # One prepared autocommit statement on a held connection (inbox_fastpath).
        values["status"] = values["status"].value
        event_id, new = writer_for(engine).insert(values)
    else:
        event_id, new = _record_with_sqlalchemy(engine, values)
    if new:
        return RecordResult(event_id, duplicate=False)
    log.info("inbox: duplicate %s event %s ignored (event %s)", source, event_type, event_id)
    return RecordResult(event_id, duplicate=True)


def _record_with_sqlalchemy(engine: Engine, values: dict[str, Any]) -> tuple[int, bool]:
    """Insert through SQLAlchemy; return (event id, was it new).

    SQLite: a write transaction, as every SQLite writer queues for the one write lock.
    """
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        values["next_attempt_at"] = utcnow()
    with autocommit(engine) if postgres else engine.begin() as connection:
        insert_new = _PG_INSERT if postgres else _SQLITE_INSERT
        new_id = connection.execute(insert_new, values).scalar_one_or_none()
        if new_id is not None:
            return int(new_id), True
        existing = connection.execute(
            select(EVENTS.c.id).where(
                EVENTS.c.source == values["source"], EVENTS.c.dedupe_key == values["dedupe_key"]
            )
        ).scalar_one()
    return int(existing), False


def dedupe_key_for(dedupe_key: str | None, raw_body: bytes, signature_ok: bool) -> str:
    """The stored key: the provider's id, else the body's SHA-256; unverified events by body."""
    if not signature_ok:
        return f"{UNVERIFIED_PREFIX}{hashlib.sha256(raw_body).hexdigest()}"
    if not dedupe_key:
        return f"sha256:{hashlib.sha256(raw_body).hexdigest()}"
    if len(dedupe_key) > MAX_KEY_LENGTH or dedupe_key.startswith(UNVERIFIED_PREFIX):
        return f"sha256-key:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
    return dedupe_key


def clean_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as stored: secrets (signatures, tokens, cookies) replaced, names lower-cased."""
    cleaned: dict[str, str] = {}
    for name, value in headers.items():
        lowered = str(name).lower()
        cleaned[lowered] = SECRET if key_kind(lowered) == SECRET else str(value)[:1000]
    return cleaned


def _validate(source: str, event_type: str, raw_body: bytes) -> None:
    if not source or len(source) > 32:
        raise ValueError("inbox source must have 1..32 characters")
    if not event_type or len(event_type) > 100:
        raise ValueError("inbox event_type must have 1..100 characters")
    if not isinstance(raw_body, bytes | bytearray):
        raise ValueError("inbox raw_body must be bytes")
    if len(raw_body) > MAX_BODY_BYTES:
        raise ValueError(f"inbox body of {len(raw_body)} bytes exceeds {MAX_BODY_BYTES}")


_CONFLICT = [EVENTS.c.source, EVENTS.c.dedupe_key]
_PG_INSERT = (
    postgresql.insert(EVENTS)
    .on_conflict_do_nothing(index_elements=_CONFLICT)
    .returning(EVENTS.c.id)
)
_SQLITE_INSERT = (
    sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=_CONFLICT).returning(EVENTS.c.id)
)


def replay(
    session_factory: sessionmaker[Session],
    registry: InboxRegistry,
    event_id: int,
    *,
    actor: str,
    reason: str | None = None,
    policies: PolicyResolver | None = None,
    desk_id: str = "replay",
    lease_s: float = 60.0,
) -> None:
    """Process event `event_id` again now, recorded as a replay by `actor` (and audited).

    Works whatever the event's status (processed, dead, ignored by a processor). Raises
    LookupError if the event or its processor is unknown, ValueError if its signature
    failed or another desk is processing it right now. The new outcome is in the event's
    status and its latest attempt.
    """
    processor = InboxProcessor(
        session_factory,
        registry,
        desk_id=desk_id,
        policies=policies or PolicyResolver(),
        lease_s=lease_s,
    )
    processor.replay(event_id, actor=actor, reason=reason)


@dataclass(frozen=True)
class EventSummary:
    """One line of the inbox list (no body: it may hold personal data)."""

    id: int
    source: str
    event_type: str
    dedupe_key: str
    status: str
    attempts: int
    signature_ok: bool
    correlation_id: str | None
    received_at: datetime
    processed_at: datetime | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("received_at", "processed_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


@dataclass(frozen=True)
class AttemptView:
    """One processing of an event, replays marked with who asked for them."""

    attempt_no: int
    desk: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    error_class: str | None
    message: str | None
    is_replay: bool
    replayed_by: str | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("started_at", "finished_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


def _summary(row: Any) -> EventSummary:
    return EventSummary(
        row.id,
        row.source,
        row.event_type,
        row.dedupe_key,
        str(row.status),
        row.attempts,
        bool(row.signature_ok),
        row.correlation_id,
        row.received_at,
        row.processed_at,
        row.last_error,
    )


_SUMMARY_COLUMNS = [
    EVENTS.c[name]
    for name in (
        "id",
        "source",
        "event_type",
        "dedupe_key",
        "status",
        "attempts",
        "signature_ok",
        "correlation_id",
        "received_at",
        "processed_at",
        "last_error",
    )
]


def list_events(
    session: Session, *, status: str | None = None, source: str | None = None, limit: int = 50
) -> list[EventSummary]:
    """The newest inbox events first, optionally only of one status and/or source."""
    query = select(*_SUMMARY_COLUMNS).order_by(EVENTS.c.id.desc()).limit(max(1, limit))
    if status:
        query = query.where(EVENTS.c.status == InboxStatus(status))
    if source:
        query = query.where(EVENTS.c.source == source)
    return [_summary(row) for row in session.execute(query)]


def get_event(session: Session, event_id: int) -> tuple[EventSummary, list[AttemptView]] | None:
    """One event and its processing history, or None if there is no such event."""
    row = session.execute(select(*_SUMMARY_COLUMNS).where(EVENTS.c.id == event_id)).one_or_none()
    if row is None:
        return None
    attempts = session.execute(
        select(INBOX_ATTEMPTS)
        .where(INBOX_ATTEMPTS.c.event_id == event_id)
        .order_by(INBOX_ATTEMPTS.c.attempt_no)
    ).all()
    history = [
        AttemptView(
            a.attempt_no,
            a.desk,
            a.started_at,
            a.finished_at,
            None if a.outcome is None else str(a.outcome),
            a.error_class,
            a.message,
            bool(a.is_replay),
            a.replayed_by,
        )
        for a in attempts
    ]
    return _summary(row), history
