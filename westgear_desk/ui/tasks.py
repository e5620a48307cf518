"""The one background helper: database and network work in a thread pool, results on the GUI thread.

Usage (from a page)::

    handle = tasks.run(queries.order_ids, factory, query, on_done=self._show_ids)

    def full_refresh(context: TaskContext) -> int:      # long work: progress and cancel
        for done, item in enumerate(items):
            context.raise_if_cancelled()
            context.report(done, len(items), item.name)
        ...
    handle = tasks.run(full_refresh, with_context=True, on_progress=bar.update)
    cancel_button.clicked.connect(handle.cancel)

Rules: the work function never touches widgets; `on_done(result)`, `on_error(TaskError)` and
`on_progress(done, total, text)` always run on the GUI thread. A `KnownError` becomes its plain
message; anything else becomes a calm "unexpected error" message while the traceback goes to the
log, never to a dialog. A cancelled handle never calls back (a stale query result is dropped).
When `on_error` is omitted, the runner emits `error_occurred(message)` for the window to show.

Work threads share the GIL with the GUI thread; by default CPython lets a thread keep it for
5 ms before it must hand it over, and with several busy workers the GUI thread queues behind
each of them. The runner lowers the switch interval to `GIL_SWITCH_INTERVAL_S` so painting and
input wait at most about that long for the interpreter.

Signals: `error_occurred(str)`, `busy_changed(bool)`.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from shiboken6 import isValid

from westgear_desk.errors import KnownError
from westgear_desk.ui.i18n import tr

_log = logging.getLogger(__name__)
DEFAULT_MAX_THREADS = 3
GIL_SWITCH_INTERVAL_S = 0.001


class TaskCancelled(Exception):
    """Raised inside work by `TaskContext.raise_if_cancelled` once the user cancelled."""


class CancelToken:
    """A thread-safe flag the work function polls; `cancel()` may be called from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise TaskCancelled


@dataclass(frozen=True)
class TaskError:
    """What `on_error` receives: a message fit for the user, and the exception itself."""

    message: str
    exception: BaseException
    known: bool


class TaskContext:
    """Handed to work started with ``with_context=True``: progress reporting and cancellation."""

    def __init__(self, runner: TaskRunner, task_id: int, token: CancelToken) -> None:
        self._runner = runner
        self._task_id = task_id
        self.token = token

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def raise_if_cancelled(self) -> None:
        self.token.raise_if_cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        """Send progress to the GUI thread (queued; safe from the worker thread)."""
        self._runner._progress.emit(self._task_id, done, total, text)


@dataclass
class TaskHandle:
    """A started task. `cancel()` sets its token and guarantees no callback will run."""

    task_id: int
    token: CancelToken
    _finished: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    @property
    def finished(self) -> bool:
        return self._finished.is_set()


@dataclass
class _Callbacks:
    handle: TaskHandle
    on_done: Callable[[Any], None] | None
    on_error: Callable[[TaskError], None] | None
    on_progress: Callable[[int, int, str], None] | None
    owner: QObject | None


@dataclass(frozen=True, slots=True)
class _Boxed:
    """A result in a box: PySide6 6.12 loses references to None and bools sent through
    `object` signal arguments across threads (refcount underflow, then a crash), so results
    never travel bare."""

    value: Any


class _Job(QRunnable):
    def __init__(self, runner: TaskRunner, task_id: int, call: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner, self._task_id, self._call = runner, task_id, call

    def run(self) -> None:
        try:
            result = self._call()
        except BaseException as exc:  # every failure must reach the GUI thread
            self._deliver(self._runner._failed, exc)
        else:
            self._deliver(self._runner._done, _Boxed(result))

    def _deliver(self, signal: Any, value: object) -> None:
        try:
            signal.emit(self._task_id, value)
        except RuntimeError:  # the runner was deleted while this ran: nobody is waiting
            _log.debug("task %s finished after its runner was deleted", self._task_id)


class TaskRunner(QObject):
    """Runs work functions in a private QThreadPool and calls back on the GUI thread."""

    error_occurred = Signal(str)
    busy_changed = Signal(bool)
    _done = Signal(int, object)
    _failed = Signal(int, object)
    _progress = Signal(int, int, int, str)

    def __init__(self, parent: QObject | None = None, max_threads: int = DEFAULT_MAX_THREADS):
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Callbacks] = {}
        queued = Qt.ConnectionType.QueuedConnection
        self._done.connect(self._on_done, queued)
        self._failed.connect(self._on_failed, queued)
        self._progress.connect(self._on_progress, queued)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskError], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        cancel_token: CancelToken | None = None,
        with_context: bool = False,
        owner: QObject | None = None,
    ) -> TaskHandle:
        """Start ``fn(*args)`` (plus ``context=TaskContext`` if `with_context`) in the pool.

        `owner`: a widget whose deletion silently drops the callbacks.
        """
        task_id = next(self._ids)
        handle = TaskHandle(task_id, cancel_token or CancelToken())
        if with_context:
            context = TaskContext(self, task_id, handle.token)

            def call() -> Any:
                return fn(*args, context=context)
        else:

            def call() -> Any:
                return fn(*args)

        self._pending[task_id] = _Callbacks(handle, on_done, on_error, on_progress, owner)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(self, task_id, call))
        return handle

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def active_count(self) -> int:
        """How many started tasks have not yet delivered their result."""
        return len(self._pending)

    def wait_for_done(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is idle (tests and shutdown only; never from a slot)."""
        return bool(self._pool.waitForDone(timeout_ms))

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, wait for running work, drop pending callbacks."""
        for callbacks in self._pending.values():
            callbacks.handle.cancel()
        finished = self.wait_for_done(timeout_ms)
        self._pending.clear()
        return finished

    # ---------------------------------------------------------------- GUI thread side

    def _take(self, task_id: int) -> _Callbacks | None:
        callbacks = self._pending.pop(task_id, None)
        if callbacks is not None:
            callbacks.handle._finished.set()
            if not self._pending:
                self.busy_changed.emit(False)
        if callbacks is None or callbacks.handle.cancelled:
            return None
        if callbacks.owner is not None and not isValid(callbacks.owner):
            return None
        return callbacks

    @Slot(int, object)
    def _on_done(self, task_id: int, boxed: _Boxed) -> None:
        callbacks = self._take(task_id)
        if callbacks is not None and callbacks.on_done is not None:
            callbacks.on_done(boxed.value)

    @Slot(int, object)
    def _on_failed(self, task_id: int, exc: BaseException) -> None:
        callbacks = self._take(task_id)
        if callbacks is None or isinstance(exc, TaskCancelled):
            return
        error = describe_error(exc)
        if callbacks.on_error is not None:
            callbacks.on_error(error)
        else:
            self.error_occurred.emit(error.message)

    @Slot(int, int, int, str)
    def _on_progress(self, task_id: int, done: int, total: int, text: str) -> None:
        callbacks = self._pending.get(task_id)
        if callbacks is None or callbacks.handle.cancelled or callbacks.on_progress is None:
            return
        if callbacks.owner is not None and not isValid(callbacks.owner):
            return
        callbacks.on_progress(done, total, text)


def describe_error(exc: BaseException) -> TaskError:
    """Turn an exception into what the user sees; log the traceback of anything unexpected."""
    if isinstance(exc, KnownError):
        return TaskError(str(exc), exc, known=True)
    _log.error(
        "unexpected error in background work: %s",
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return TaskError(tr("error.unexpected"), exc, known=False)
