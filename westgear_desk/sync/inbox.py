"""The inbox: every inbound webhook or callback is stored raw first, then processed separately.

`record` commits the raw event in its own short transaction before anything else happens,
so a delivery the caller answered 2xx is never lost; a redelivery with the same dedupe key
(the provider's event id, or the SHA-256 of the body) is recognised and causes no second
effect. Dedupe keys are kept forever, because providers retry for days.

An event whose signature did not verify is kept for the record (status ``ignored``) under a
key derived from its body, so a forged event can never claim a genuine event's id.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import InboxStatus
from westgear_desk.log import SECRET, current_correlation_id, key_kind
from westgear_desk.sync.claims import Clock
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
    "EventIgnored",
    "InboxContext",
    "InboxProcessor",
    "InboxRegistry",
    "Processor",
    "RecordResult",
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
    with session_factory() as session, session.begin():
        values["next_attempt_at"] = Clock.of(session).now()
        new_id = session.execute(_insert_new(session, values)).scalar_one_or_none()
        if new_id is not None:
            return RecordResult(int(new_id), duplicate=False)
        existing = session.execute(
            select(EVENTS.c.id).where(EVENTS.c.source == source, EVENTS.c.dedupe_key == key)
        ).scalar_one()
    log.info("inbox: duplicate %s event %s ignored (event %s)", source, event_type, existing)
    return RecordResult(int(existing), duplicate=True)


def dedupe_key_for(dedupe_key: str | None, raw_body: bytes, signature_ok: bool) -> str:
    """The stored key: the provider's id, else the body's SHA-256; unverified events by body."""
    body_hash = hashlib.sha256(raw_body).hexdigest()
    if not signature_ok:
        return f"{UNVERIFIED_PREFIX}{body_hash}"
    if not dedupe_key:
        return f"sha256:{body_hash}"
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


def _insert_new(session: Session, values: dict[str, Any]) -> Insert:
    dialect = session.get_bind().dialect.name
    target = [EVENTS.c.source, EVENTS.c.dedupe_key]
    if dialect == "postgresql":
        pg = postgresql.insert(EVENTS).values(values).on_conflict_do_nothing(index_elements=target)
        return pg.returning(EVENTS.c.id)
    if dialect == "sqlite":
        lite = sqlite.insert(EVENTS).values(values).on_conflict_do_nothing(index_elements=target)
        return lite.returning(EVENTS.c.id)
    raise ValueError(f"unsupported database for the inbox: {dialect}")


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
