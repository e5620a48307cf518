"""The quarantine store: records that broke a rule wait here, with every reason, until fixed.

Flows call `store` for the records a page rejected and `auto_release` for the ones that came
back valid, both inside the transaction that writes the page, so a record is never both
published and quarantined. New or changed reasons are reported to Sharespine's event log
through an outbox job (`LOG_EVENT_JOB`). Admin decisions (release, ignore, override one
reason) are audited with the actor and their reason.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from westgear_desk.db.enums import QuarantineStatus, RecordType, SourceSystem
from westgear_desk.db.models.admin import AuditEntry
from westgear_desk.db.models.runs import QuarantineEntry
from westgear_desk.domain.quarantine import Reason, codes_of
from westgear_desk.sync.claims import audit, utcnow
from westgear_desk.sync.jobs import enqueue
from westgear_desk.sync.runs import insert_for

QUARANTINE = cast(Table, QuarantineEntry.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
LOG_EVENT_JOB: Final = "sharespine.log_event"
SYSTEM_ACTOR: Final = "system"
_LOOKUP_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    """A record to hold back: what it is, why, and the payload exactly as received."""

    record_type: RecordType
    external_id: str
    reasons: Sequence[Reason]
    raw_payload: Any
    display_id: str | None = None  # what a person recognises (SKU, order number)


@dataclass(slots=True)
class StoreOutcome:
    """What `store` did: entries opened for the first time, reopened, refreshed, reported."""

    new: int = 0
    reopened: int = 0
    refreshed: int = 0
    reported: int = 0

    @property
    def total(self) -> int:
        return self.new + self.reopened + self.refreshed


@dataclass(frozen=True, slots=True)
class _Existing:
    id: int
    status: QuarantineStatus
    codes: list[str]


@dataclass(frozen=True)
class QuarantineView:
    """One entry as the CLI and the UI show it."""

    id: int
    source_system: str
    record_type: str
    external_id: str
    status: str
    reasons: list[Reason]
    overridden_reasons: list[str]
    raw_payload: Any
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None
    run_id: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, *, with_payload: bool = False) -> dict[str, Any]:
        """JSON form; the raw payload only when asked (it can be large)."""
        data: dict[str, Any] = {
            "id": self.id,
            "source_system": self.source_system,
            "record_type": self.record_type,
            "external_id": self.external_id,
            "status": self.status,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "overridden_reasons": list(self.overridden_reasons),
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "resolved_by": self.resolved_by,
            "resolution_note": self.resolution_note,
            "run_id": self.run_id,
        }
        if with_payload:
            data["raw_payload"] = self.raw_payload
        return data


def _jsonable(payload: Any) -> Any:
    """The payload as JSON every database stores: NUL characters and NaN/Infinity become text.

    Decimals, datetimes and anything else not JSON become their text; never fails.
    """
    if isinstance(payload, str):
        return payload.replace("\x00", "\ufffd")
    if isinstance(payload, bool | int) or payload is None:
        return payload
    if isinstance(payload, float):
        return payload if math.isfinite(payload) else str(payload)
    if isinstance(payload, Mapping):
        return {_jsonable(str(k)): _jsonable(v) for k, v in payload.items()}
    if isinstance(payload, list | tuple):
        return [_jsonable(item) for item in payload]
    return _jsonable(str(payload))


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


def _existing(
    session: Session, source: SourceSystem, record_type: RecordType, ids: Sequence[str]
) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    q = QUARANTINE.c
    for chunk in _chunks(ids):
        rows = session.execute(
            select(q.id, q.external_id, q.status, q.reasons).where(
                q.source_system == source,
                q.record_type == record_type,
                q.external_id.in_(chunk),
            )
        )
        for row in rows:
            codes = sorted({str(r.get("code", "")) for r in (row.reasons or [])})
            found[row.external_id] = _Existing(row.id, QuarantineStatus(row.status), codes)
    return found


def store(
    session: Session,
    items: Sequence[QuarantineItem],
    *,
    run_id: int | None,
    source: SourceSystem = SourceSystem.SHARESPINE,
    report: bool = True,
) -> StoreOutcome:
    """Store or refresh one quarantine entry per item in the caller's transaction.

    A new entry is open; a released one reopens; an ignored one stays ignored (its reasons
    and payload are refreshed). New or changed reasons are reported to Sharespine by an
    outbox job when `report` is true and the source is Sharespine.
    """
    outcome = StoreOutcome()
    by_type: dict[RecordType, list[QuarantineItem]] = {}
    for item in items:
        by_type.setdefault(item.record_type, []).append(item)
    now = utcnow() if items else None
    for record_type, group in by_type.items():
        assert now is not None
        _store_group(session, source, record_type, group, run_id, now, outcome, report=report)
    return outcome


def _store_group(  # noqa: PLR0917 - private helper of `store`
    session: Session,
    source: SourceSystem,
    record_type: RecordType,
    items: list[QuarantineItem],
    run_id: int | None,
    now: datetime,
    outcome: StoreOutcome,
    *,
    report: bool,
) -> None:
    unique = {item.external_id: item for item in items}  # last one wins within a batch
    existing = _existing(session, source, record_type, list(unique))
    rows, to_report = [], []
    for external_id, item in unique.items():
        before = existing.get(external_id)
        codes = codes_of(item.reasons)
        status = QuarantineStatus.OPEN
        if before is None:
            outcome.new += 1
            to_report.append((item, codes, "new"))
        elif before.status is QuarantineStatus.RELEASED:
            outcome.reopened += 1
            to_report.append((item, codes, now.isoformat()))
        else:
            outcome.refreshed += 1
            status = before.status
            if before.status is QuarantineStatus.OPEN and before.codes != codes:
                to_report.append((item, codes, "new"))
        rows.append(_row(source, item, status, run_id, now))
    stmt = insert_for(session, QuarantineEntry).values(rows)
    excluded = stmt.excluded
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "record_type", "external_id"],
            set_={
                name: excluded[name]
                for name in (
                    "reasons",
                    "raw_payload",
                    "status",
                    "last_seen_at",
                    "resolved_at",
                    "resolved_by",
                    "resolution_note",
                    "run_id",
                )
            },
        )
    )
    if report and source is SourceSystem.SHARESPINE:
        for item, codes, marker in to_report:
            _enqueue_report(session, item, codes, marker)
            outcome.reported += 1


def _row(
    source: SourceSystem,
    item: QuarantineItem,
    status: QuarantineStatus,
    run_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "source_system": source,
        "record_type": item.record_type,
        "external_id": item.external_id,
        "reasons": _jsonable([reason.to_dict() for reason in item.reasons]),
        "raw_payload": _jsonable(item.raw_payload),
        "status": status,
        "overridden_reasons": [],
        "first_seen_at": now,
        "last_seen_at": now,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_note": None,
        "run_id": run_id,
    }


def _enqueue_report(session: Session, item: QuarantineItem, codes: list[str], marker: str) -> None:
    digest = hashlib.sha256(",".join(codes).encode()).hexdigest()[:16]
    key = f"{LOG_EVENT_JOB}:{item.record_type}:{item.external_id}:{digest}:{marker}"
    if len(key) > 200:
        key = f"{LOG_EVENT_JOB}:{hashlib.sha256(key.encode()).hexdigest()}"
    payload = {
        "record_type": str(item.record_type),
        "external_id": item.external_id,
        "display_id": item.display_id,
        "reasons": [reason.to_dict() for reason in item.reasons],
    }
    enqueue(session, LOG_EVENT_JOB, _jsonable(payload), key)  # a SKU may hold a NUL


def overrides_for(
    session: Session,
    record_type: RecordType,
    external_ids: Sequence[str],
    *,
    source: SourceSystem = SourceSystem.SHARESPINE,
) -> dict[str, frozenset[str]]:
    """Reason codes an admin accepted, per external id (only ids that have any)."""
    found: dict[str, frozenset[str]] = {}
    q = QUARANTINE.c
    for chunk in _chunks(list(external_ids)):
        rows = session.execute(
            select(q.external_id, q.overridden_reasons).where(
                q.source_system == source,
                q.record_type == record_type,
                q.external_id.in_(chunk),
            )
        )
        for row in rows:
            if row.overridden_reasons:
                found[row.external_id] = frozenset(str(c) for c in row.overridden_reasons)
    return found


def auto_release(
    session: Session,
    record_type: RecordType,
    external_ids: Sequence[str],
    *,
    run_id: int | None,
    source: SourceSystem = SourceSystem.SHARESPINE,
) -> list[str]:
    """Release open or ignored entries of records that came back valid; audited as system.

    Returns the external ids released. Runs in the caller's transaction (the one that
    publishes the valid version).
    """
    released: list[tuple[int, str]] = []
    q = QUARANTINE.c
    now = utcnow() if external_ids else None
    for chunk in _chunks(list(external_ids)):
        rows = session.execute(
            update(QUARANTINE)
            .where(
                q.source_system == source,
                q.record_type == record_type,
                q.external_id.in_(chunk),
                q.status != QuarantineStatus.RELEASED,
            )
            .values(
                status=QuarantineStatus.RELEASED,
                resolved_at=now,
                resolved_by=SYSTEM_ACTOR,
                resolution_note="a later sync brought a valid version",
                run_id=run_id,
            )
            .returning(q.id, q.external_id)
        )
        released.extend((row.id, row.external_id) for row in rows)
    if released:
        session.execute(
            insert(AUDIT),
            [
                {
                    "username": SYSTEM_ACTOR,
                    "action": "quarantine.auto_release",
                    "target_type": "quarantine",
                    "target_id": str(entry_id),
                    "reason": "a later sync brought a valid version",
                    "details": {
                        "record_type": str(record_type),
                        "external_id": external_id,
                        "run_id": run_id,
                    },
                }
                for entry_id, external_id in released
            ],
        )
    return [external_id for _, external_id in released]


# ------------------------------------------------------------------ admin decisions


class QuarantineNotFoundError(LookupError):
    """No quarantine entry has the given id."""


def _load(session: Session, entry_id: int) -> QuarantineEntry:
    entry = session.get(QuarantineEntry, entry_id, with_for_update=True)
    if entry is None:
        raise QuarantineNotFoundError(f"no quarantine entry {entry_id}")
    return entry


def _require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValueError("an admin decision on quarantine needs a reason")
    return text


def release(session: Session, entry_id: int, *, actor: str, reason: str) -> QuarantineView:
    """Accept the record as it is: override all its reasons and release it (audited).

    The next sync that brings the record publishes it. Raises QuarantineNotFoundError, or
    ValueError for an empty reason.
    """
    note = _require_reason(reason)
    entry = _load(session, entry_id)
    codes = sorted({str(r.get("code", "")) for r in entry.reasons} | set(entry.overridden_reasons))
    before = str(entry.status)
    _resolve(session, entry, QuarantineStatus.RELEASED, actor, note, codes)
    audit(
        session,
        actor=actor,
        action="quarantine.release",
        target_type="quarantine",
        target_id=entry.id,
        reason=note,
        details={"before": before, "overridden": codes, "external_id": entry.external_id},
    )
    return _view(entry)


def ignore(session: Session, entry_id: int, *, actor: str, reason: str) -> QuarantineView:
    """Mark the record ignored: it stays unpublished and leaves the open list (audited)."""
    note = _require_reason(reason)
    entry = _load(session, entry_id)
    before = str(entry.status)
    _resolve(session, entry, QuarantineStatus.IGNORED, actor, note, list(entry.overridden_reasons))
    audit(
        session,
        actor=actor,
        action="quarantine.ignore",
        target_type="quarantine",
        target_id=entry.id,
        reason=note,
        details={"before": before, "external_id": entry.external_id},
    )
    return _view(entry)


def override_reason(
    session: Session, entry_id: int, code: str, *, actor: str, reason: str
) -> QuarantineView:
    """Accept one reason code; when none is left the entry is released (audited).

    Raises ValueError when the entry has no reason with that code.
    """
    note = _require_reason(reason)
    entry = _load(session, entry_id)
    codes = {str(r.get("code", "")) for r in entry.reasons}
    if code not in codes:
        raise ValueError(f"entry {entry_id} has no reason {code!r} (it has {sorted(codes)})")
    overridden = sorted({*entry.overridden_reasons, code})
    remaining = codes - set(overridden)
    status = QuarantineStatus.RELEASED if not remaining else entry.status
    _resolve(session, entry, QuarantineStatus(status), actor, note, overridden)
    audit(
        session,
        actor=actor,
        action="quarantine.override",
        target_type="quarantine",
        target_id=entry.id,
        reason=note,
        details={"code": code, "remaining": sorted(remaining), "external_id": entry.external_id},
    )
    return _view(entry)


def _resolve(  # noqa: PLR0917 - private
    session: Session,
    entry: QuarantineEntry,
    status: QuarantineStatus,
    actor: str,
    note: str,
    overridden: list[str],
) -> None:
    entry.overridden_reasons = overridden
    if status is not QuarantineStatus.OPEN:
        entry.status = status
        entry.resolved_at = utcnow()
        entry.resolved_by = actor[:64]
        entry.resolution_note = note
    session.flush()


# ------------------------------------------------------------------ reading


def list_entries(
    session: Session,
    *,
    status: QuarantineStatus | None = QuarantineStatus.OPEN,
    record_type: RecordType | None = None,
    limit: int = 100,
) -> list[QuarantineView]:
    """Entries, most recently seen first (default: the open ones)."""
    stmt = (
        select(QuarantineEntry)
        .order_by(QuarantineEntry.last_seen_at.desc(), QuarantineEntry.id.desc())
        .limit(max(1, limit))
    )
    if status is not None:
        stmt = stmt.where(QuarantineEntry.status == status)
    if record_type is not None:
        stmt = stmt.where(QuarantineEntry.record_type == record_type)
    return [_view(entry) for entry in session.scalars(stmt)]


def get_entry(session: Session, entry_id: int) -> QuarantineView | None:
    """One entry with its payload, or None."""
    entry = session.get(QuarantineEntry, entry_id)
    return None if entry is None else _view(entry)


def find_entry(
    session: Session,
    record_type: RecordType,
    external_id: str,
    *,
    source: SourceSystem = SourceSystem.SHARESPINE,
) -> QuarantineView | None:
    """The entry of one record, or None if it was never quarantined."""
    entry = session.scalars(
        select(QuarantineEntry).where(
            QuarantineEntry.source_system == source,
            QuarantineEntry.record_type == record_type,
            QuarantineEntry.external_id == external_id,
        )
    ).one_or_none()
    return None if entry is None else _view(entry)


def _view(entry: QuarantineEntry) -> QuarantineView:
    return QuarantineView(
        id=entry.id,
        source_system=str(entry.source_system),
        record_type=str(entry.record_type),
        external_id=entry.external_id,
        status=str(entry.status),
        reasons=[Reason.from_dict(r) for r in entry.reasons or []],
        overridden_reasons=list(entry.overridden_reasons or []),
        raw_payload=entry.raw_payload,
        first_seen_at=entry.first_seen_at,
        last_seen_at=entry.last_seen_at,
        resolved_at=entry.resolved_at,
        resolved_by=entry.resolved_by,
        resolution_note=entry.resolution_note,
        run_id=entry.run_id,
    )
