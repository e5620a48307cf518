"""Progress and Cancel for one bulk action (retry, discard, release … on a selection).

The bulk service call runs in the TaskRunner and reports after each item. Cancel does not
drop the task (that would lose its result): it sets a flag the service polls between items,
so the work stops after the current item and still reports what it did.

Signals: `finished(BulkResult)`, `failed(str)` (a plain message).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from westgear_desk.services.jobs import BulkResult
from westgear_desk.ui.i18n import register, tr

if TYPE_CHECKING:
    from westgear_desk.ui.tasks import TaskContext, TaskError, TaskRunner

register(
    {
        "bulk.result": ("{done} klara, {failed} misslyckades.", "{done} done, {failed} failed."),
        "bulk.cancelled": ("Avbrutet efter {done}.", "Cancelled after {done}."),
    }
)

#: ``action(ids, progress) -> BulkResult``: a bulk service call with its other arguments bound.
BulkAction = Callable[[Sequence[int], Any], BulkResult]


class StoppableProgress:
    """Progress for a bulk service call: reports through the task, stops on the user's flag."""

    def __init__(self, context: TaskContext, stop: threading.Event) -> None:
        self._context, self._stop = context, stop

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set() or self._context.cancelled

    def report(self, done: int, total: int, text: str = "") -> None:
        self._context.report(done, total, text)


class BulkProgress(QWidget):
    """A progress bar and a Cancel button, shown while a bulk action of several items runs."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._running = False
        self.stop_event = threading.Event()
        self.progress = QProgressBar(self)
        self.progress.setObjectName("bulk_progress")
        self.cancel_button = QPushButton(tr("action.cancel"), self)
        self.cancel_button.setObjectName("cancel_bulk")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self.hide()

    @property
    def busy(self) -> bool:
        return self._running

    def start(self, action: BulkAction, ids: Sequence[int]) -> None:
        """Run ``action(ids, progress)`` off the GUI thread; visible when more than one item."""
        stop = self.stop_event = threading.Event()
        items = list(ids)

        def work(context: TaskContext) -> BulkResult:
            return action(items, StoppableProgress(context, stop))

        self._running = True
        self.progress.setRange(0, len(items))
        self.progress.setValue(0)
        self.setVisible(len(items) > 1)
        self._tasks.run(
            work, with_context=True, on_done=self._done, on_error=self._failed,
            on_progress=lambda done, _total, _text: self.progress.setValue(done), owner=self,
        )  # fmt: skip

    def cancel(self) -> None:
        self.stop_event.set()

    def _done(self, result: BulkResult) -> None:
        self._running = False
        self.hide()
        self.finished.emit(result)

    def _failed(self, error: TaskError) -> None:
        self._running = False
        self.hide()
        self.failed.emit(error.message)


def describe_result(result: BulkResult) -> str | None:
    """A plain summary when something went wrong or was cancelled; None when all went well."""
    if result.failed:
        first = next(iter(result.failed.values()))
        summary = tr("bulk.result", done=len(result.done), failed=len(result.failed))
        return f"{summary} {first}"
    if result.cancelled:
        return tr("bulk.cancelled", done=len(result.done))
    return None
