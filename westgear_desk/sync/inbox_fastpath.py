"""`inbox.record` on PostgreSQL without a pre-ping round trip: one prepared autocommit INSERT.

Intake runs at the commit rate, so every round trip and every millisecond of client CPU per
event shows. The pooled path paid a ``SELECT 1`` pre-ping at each checkout and SQLAlchemy's
execution machinery around a one-row INSERT. Here each engine keeps a small stack of psycopg
connections of its own (detached from the engine's pool, so they were made by its creator
with its connect arguments): a caller takes one, runs ONE prepared statement that inserts and
commits (autocommit) and returns the new id, and gives the connection back. Only when the
key is already stored does a second statement look up the existing id.

Liveness without a round trip: an idle connection has nothing to read, so readable data (a
FATAL message from a terminated backend, or end of file) means it is dead; it is closed and a
fresh one made before anything is sent. A failure after the statement was sent is raised
(as SQLAlchemy's DBAPIError, as the pooled path did), never retried blindly: the statement
may have committed, and a retry would misreport the caller's own event as a duplicate.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, event
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from westgear_desk.db.driver_errors import as_sqlalchemy_error
from westgear_desk.db.session import PG_MAX_OVERFLOW, PG_POOL_SIZE

MAX_CONNECTIONS = PG_POOL_SIZE + PG_MAX_OVERFLOW
CHECKOUT_TIMEOUT_S = 30.0
RECYCLE_S = 1800.0  # as the engine's pool_recycle: no connection lives longer than this

INSERT_EVENT = """
INSERT INTO inbox_events (source, event_type, dedupe_key, headers, raw_body, signature_ok,
    correlation_id, status, attempts, last_error)
VALUES (%(source)s, %(event_type)s, %(dedupe_key)s, %(headers)s, %(raw_body)s,
    %(signature_ok)s, %(correlation_id)s, %(status)s, %(attempts)s, %(last_error)s)
ON CONFLICT (source, dedupe_key) DO NOTHING
RETURNING id
"""
EXISTING_EVENT = (
    "SELECT id FROM inbox_events WHERE source = %(source)s AND dedupe_key = %(dedupe_key)s"
)


class _Held:
    """One psycopg connection in autocommit mode, with the cursor reused for every event."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.born = time.monotonic()

    def usable(self) -> bool:
        """True when the connection is open, idle, young enough and has nothing to read."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        if time.monotonic() - self.born > RECYCLE_S:
            return False
        return not _readable(connection.fileno())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


def _readable(fd: int) -> bool:
    """True if the socket has data (or end of file) waiting; never blocks."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover - Windows
    return bool(readable)


class PgInboxWriter:
    """Records inbox events for one engine on connections it holds (thread-safe).

    At most `max_connections` are open at once (callers beyond that wait up to
    `timeout_s`, then get SQLAlchemy's pool TimeoutError); idle ones are kept for reuse and
    closed when the engine is disposed.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_connections: int = MAX_CONNECTIONS,
        timeout_s: float = CHECKOUT_TIMEOUT_S,
    ) -> None:
        self._engine = weakref.ref(engine)
        self._max = max(1, max_connections)
        self._timeout = timeout_s
        self._lock = threading.Lock()
        self._idle: list[_Held] = []
        self._slots = threading.BoundedSemaphore(self._max)
        self._pid = os.getpid()
        self._inherited: list[_Held] = []
        event.listen(engine, "engine_disposed", self._on_dispose)

    def insert(self, values: Mapping[str, Any]) -> tuple[int, bool]:
        """Store the row `values` (inbox_events columns); return (event id, was it new)."""
        params = dict(values)
        params["headers"] = Jsonb(params["headers"])
        with self._connection() as held:
            row = _run(held, INSERT_EVENT, params)
            if row is not None:
                return int(row[0]), True
            existing = _run(held, EXISTING_EVENT, params)
        if existing is None:  # inbox rows are never deleted, so this is a broken invariant
            raise LookupError(f"inbox event {params['source']}/{params['dedupe_key']} vanished")
        return int(existing[0]), False

    def close(self) -> None:
        """Close every idle connection (connections in use are closed when given back)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for held in idle:
            held.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[_Held]:
        self._after_fork()
        slots = self._slots
        if not slots.acquire(timeout=self._timeout):
            raise PoolTimeoutError(
                f"inbox writer: all {self._max} connections busy for {self._timeout:.0f} s"
            )
        held: _Held | None = None
        try:
            held = self._take()
            yield held
        finally:
            if held is not None:
                self._give_back(held)
            slots.release()

    def _take(self) -> _Held:
        while True:
            with self._lock:
                held = self._idle.pop() if self._idle else None
            if held is None:
                return self._connect()
            if held.usable():
                return held
            held.close()  # dead, busy or old: never send a statement on it

    def _give_back(self, held: _Held) -> None:
        healthy = not held.connection.broken and not held.connection.closed
        idle = healthy and held.connection.info.transaction_status == TransactionStatus.IDLE
        if idle and os.getpid() == self._pid:
            with self._lock:
                self._idle.append(held)
        else:
            held.close()

    def _connect(self) -> _Held:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("inbox writer: its engine is gone")
        try:  # made by the engine's creator: its connect arguments and events
            pooled = engine.raw_connection()
        except psycopg.Error as exc:
            raise as_sqlalchemy_error("connect", exc) from exc
        driver = pooled.driver_connection
        pooled.detach()  # ours now; the pool's slot is free again
        if not isinstance(driver, psycopg.Connection):
            raise TypeError("the inbox fast path needs the psycopg driver")
        if driver.info.transaction_status != TransactionStatus.IDLE:
            driver.rollback()
        driver.autocommit = True
        return _Held(driver)

    def _after_fork(self) -> None:
        """In a forked child, never touch (or close) the parent's connections."""
        if os.getpid() == self._pid:
            return
        with self._lock:
            if os.getpid() != self._pid:
                self._inherited.extend(self._idle)  # kept referenced: closing would end the
                self._idle = []  # parent's sessions
                self._slots = threading.BoundedSemaphore(self._max)
                self._pid = os.getpid()

    def _on_dispose(self, _connection: Any) -> None:
        if os.getpid() == self._pid:
            self.close()


def _run(held: _Held, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """One prepared statement; psycopg errors come back as SQLAlchemy's DBAPIError."""
    try:
        return held.cursor.execute(sql, params, prepare=True).fetchone()
    except psycopg.Error as exc:
        raise as_sqlalchemy_error(sql, exc) from exc


_WRITERS: weakref.WeakKeyDictionary[Engine, PgInboxWriter] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer_for(engine: Engine) -> PgInboxWriter:
    """The one writer of `engine` (made on first use)."""
    writer = _WRITERS.get(engine)
    if writer is None:
        with _WRITERS_LOCK:
            writer = _WRITERS.get(engine)
            if writer is None:
                writer = _WRITERS[engine] = PgInboxWriter(engine)
    return writer
