"""Named locks that keep runs of one schedule from overlapping, across desks where possible.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a stable 64-bit hash of
the name, held on a dedicated connection for as long as the run lasts. The server releases it
when that connection ends, so a desk that dies (or loses its connection) never leaves a lock
behind. Holding it proves no other desk runs that schedule, which is how stale runs are told
apart from live ones.

SQLite serves a single desk, so a process-local lock suffices there (the unique run key in
`sync_runs` still keeps two processes on one file from running the same slot twice).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import Final, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

_NAMESPACE: Final = "westgear-desk/schedule:"
_log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """Return the signed 64-bit advisory-lock key of `name` (stable across processes/versions)."""
    digest = hashlib.blake2b(f"{_NAMESPACE}{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ScheduleLocks(Protocol):
    """Non-blocking named locks."""

    #: True when holding the lock proves that no other process holds it.
    exclusive_across_processes: bool

    def hold(self, name: str) -> contextlib.AbstractContextManager[bool]:
        """Try to take the lock; yield True while held, False if someone else holds it."""
        ...


class LocalLocks:
    """Process-local named locks (SQLite, single desk)."""

    exclusive_across_processes = False

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        lock = self._lock(name)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()


class AdvisoryLocks:
    """PostgreSQL session-level advisory locks, one dedicated pooled connection per hold."""

    exclusive_across_processes = True

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        key = lock_key(name)
        conn = self._engine.connect()
        try:
            acquired = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
            )
            conn.commit()  # end the transaction; a session-level lock outlives it
        except BaseException:
            _discard(conn)
            raise
        if not acquired:
            conn.close()
            yield False
            return
        try:
            yield True
        finally:
            _release(conn, key, name)


def _release(conn: Connection, key: int, name: str) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
        conn.close()
    except DBAPIError:
        # The connection died during the run; the server released the lock with it.
        _log.warning("advisory lock connection for %s was lost before release", name)
        _discard(conn)


def _discard(conn: Connection) -> None:
    """Close `conn` without returning a possibly lock-holding connection to the pool."""
    with contextlib.suppress(Exception):
        conn.invalidate()
    with contextlib.suppress(Exception):
        conn.close()


def locks_for(engine: Engine) -> ScheduleLocks:
    """Return advisory locks on PostgreSQL, process-local locks otherwise."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine)
    return LocalLocks()
