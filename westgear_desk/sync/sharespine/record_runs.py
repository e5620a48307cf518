"""Plumbing every Sharespine record flow shares: batches, the run cursor, writer locks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.sync.cursors import advance_cursor, get_cursor
from westgear_desk.sync.locks import lock_key
from westgear_desk.sync.runs import RunCounts

INTEGRATION: Final = "sharespine"
CURSOR_OVERLAP: Final = timedelta(seconds=60)
_CHUNK: Final = 500
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def batches_with_last(items: Iterable[T], size: int) -> Iterator[tuple[list[T], bool]]:
    """Yield lists of up to `size` items, each with True when it is the last one."""
    held: list[T] | None = None
    current: list[T] = []
    for item in items:
        current.append(item)
        if len(current) >= size:
            if held is not None:
                yield held, False
            held, current = current, []
    if current:
        if held is not None:
            yield held, False
        held = current
    if held is not None:
        yield held, True


def serialize_writers(session: Session, name: str) -> None:
    """On PostgreSQL, wait for other transactions writing `name` (SQLite writes one at a time).

    Two overlapping runs (a scheduled one and a manual one) would otherwise both create the
    same new records; the lock ends with the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


def cursor_start(
    session_factory: sessionmaker[Session], resource: str, *, full: bool
) -> datetime | None:
    """The `modifiedAtOrAfter` to fetch from (None: everything)."""
    if full:
        return None
    with session_factory() as session:
        value = get_cursor(session, INTEGRATION, resource)
    return datetime.fromisoformat(value) if value else None


def cursor_value(started: datetime) -> str:
    """The cursor a finished run leaves: its start less the overlap (never past the start)."""
    return (started - CURSOR_OVERLAP).astimezone(UTC).isoformat()


def chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def is_newer(row_time: datetime, row_hash: str, stored_time: Any, stored_hash: Any) -> bool:
    """True when the fetched version should replace the stored one."""
    if stored_time is None:
        return True
    if row_time != stored_time:
        return bool(row_time > stored_time)
    return bool(row_hash != stored_hash)


def run_in_batches(
    session_factory: sessionmaker[Session],
    records: Iterable[T],
    store: Callable[[Session, list[T]], RunCounts],
    *,
    resource: str,
    started: datetime,
    run_id: int | None,
    page_size: int,
) -> RunCounts:
    """Store `records` one batch per transaction; the last one also moves the cursor.

    When there was nothing to store the cursor still moves, in a transaction of its own. An
    exception from `records` leaves the cursor where it was (committed batches stay).
    """
    counts = RunCounts()
    wrote_last = False
    for batch, last in batches_with_last(records, page_size):
        with session_factory() as session, session.begin():
            counts += store(session, batch)
            if last:
                advance_cursor(session, INTEGRATION, resource, cursor_value(started), run_id)
                wrote_last = True
    if not wrote_last:
        with session_factory() as session, session.begin():
            advance_cursor(session, INTEGRATION, resource, cursor_value(started), run_id)
    return counts
