"""The engine's `CallRecorder`: every external call goes to the structured log and to `api_calls`.

Clients call the sink on their own thread right after each HTTP call, so it must be cheap:
the log line is written at once, the row is queued and a background flusher inserts queued
rows in batches (one short transaction per batch, not per call). A batch that fails because
the database is away is kept and tried again; the queue is bounded so an outage cannot eat
memory, and what had to be dropped is counted and logged. `flush()` writes everything now,
`close()` flushes and stops the flusher (also run at interpreter exit).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections import deque
from typing import Any, Final, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.models.admin import ApiCall
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.sync.claims import is_database_outage, utcnow

API_CALLS: Final = cast(Table, ApiCall.__table__)
log = logging.getLogger("westgear_desk.api")
_LIMITS: Final = {
    "system": 32,
    "method": 10,
    "endpoint": 300,
    "correlation_id": 64,
    "request_id": 200,
    "error_code": 100,
}


class ApiCallSink:
    """Records each `CallRecord` (implements `integrations.calllog.CallRecorder`)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        flush_interval_s: float = 0.5,
        max_batch: int = 500,
        max_pending: int = 20_000,
        background: bool = True,
    ) -> None:
        self._factory = session_factory
        self._interval = flush_interval_s
        self._max_batch = max(1, max_batch)
        self._max_pending = max(self._max_batch, max_pending)
        self._background = background
        self._pending: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        atexit.register(_close_at_exit, weakref.ref(self))

    def __call__(self, record: CallRecord) -> None:
        """Log the call now and queue its row (written at once when not in background mode)."""
        row = _row(record)
        _log_call(row)
        if not self._background:
            self._write([row])
            return
        with self._lock:
            if len(self._pending) >= self._max_pending:
                self.dropped += 1
                return
            self._pending.append(row)
            full = len(self._pending) >= self._max_batch
        self._ensure_thread()
        if full:
            self._wake.set()

    def flush(self) -> None:
        """Write every queued row now (raises if the database is unavailable)."""
        while True:
            batch = self._take()
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                self._put_back(batch)
                raise

    def close(self) -> None:
        """Stop the flusher and write what is still queued (logged, not raised, on failure)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.flush()
        except DBAPIError:
            log.exception("api_calls: %d call records could not be written", len(self._pending))
        if self.dropped:
            log.warning("api_calls: %d call records were dropped during an outage", self.dropped)

    # --- internals ---------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None or self._closed.is_set():
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="api-call-sink", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except DBAPIError as exc:
                if not is_database_outage(exc):
                    log.exception("api_calls: a batch was refused by the database; dropped")
                    self._take()  # a refused batch would be refused again forever
                else:
                    log.warning(
                        "api_calls: database unavailable; keeping %d records", len(self._pending)
                    )
            except Exception:
                log.exception("api_calls: flushing failed")

    def _take(self) -> list[dict[str, Any]]:
        with self._lock:
            count = min(len(self._pending), self._max_batch)
            return [self._pending.popleft() for _ in range(count)]

    def _put_back(self, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            room = self._max_pending - len(self._pending)
            keep = batch[:room] if room > 0 else []
            self.dropped += len(batch) - len(keep)
            self._pending.extendleft(reversed(keep))

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._write_lock, self._factory() as session, session.begin():
            session.execute(insert(API_CALLS), rows)


def _close_at_exit(ref: weakref.ref[ApiCallSink]) -> None:
    sink = ref()
    if sink is not None:
        sink.close()


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def _row(record: CallRecord) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "system": _clip(record.system, _LIMITS["system"]) or "?",
        "method": (_clip(record.method, _LIMITS["method"]) or "?").upper(),
        "endpoint": _clip(record.endpoint, _LIMITS["endpoint"]) or "?",
        "status_code": record.status_code,
        "latency_ms": max(0, round(record.latency_ms)),
        "correlation_id": _clip(record.correlation_id, _LIMITS["correlation_id"]),
        "request_id": _clip(record.request_id, _LIMITS["request_id"]),
        "error_code": _clip(record.error_code, _LIMITS["error_code"]),
        "payload_summary": record.payload_summary,
    }


def _log_call(row: dict[str, Any]) -> None:
    failed = row["status_code"] is None or row["status_code"] >= 400 or row["error_code"]
    log.log(
        logging.WARNING if failed else logging.INFO,
        "%s %s %s -> %s in %d ms",
        row["system"],
        row["method"],
        row["endpoint"],
        row["status_code"] if row["status_code"] is not None else "no answer",
        row["latency_ms"],
        extra={
            "system": row["system"],
            "method": row["method"],
            "endpoint": row["endpoint"],
            "status_code": row["status_code"],
            "latency_ms": row["latency_ms"],
            "correlation_id": row["correlation_id"],
            "request_id": row["request_id"],
            "error_code": row["error_code"],
        },
    )
