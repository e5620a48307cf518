"""The background helper: results, errors and progress reach the GUI thread; cancel drops them."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from westgear_desk.errors import ConfigurationError
from westgear_desk.ui.i18n import tr
from westgear_desk.ui.tasks import TaskContext, TaskError, TaskRunner


def _gui_thread() -> bool:
    app = QApplication.instance()
    assert app is not None
    return QThread.currentThread() is app.thread()


def test_result_arrives_on_gui_thread_and_work_ran_elsewhere(qtbot: QtBot, tasks: TaskRunner):
    seen: dict[str, object] = {}

    def work(a: int, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    def done(result: tuple[int, str]) -> None:
        seen["result"] = result
        seen["gui"] = _gui_thread()

    tasks.run(work, 2, 3, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen)
    value, worker_thread = seen["result"]  # type: ignore[misc]
    assert value == 5
    assert worker_thread != threading.current_thread().name
    assert seen["gui"] is True


def test_known_error_becomes_its_plain_message(qtbot: QtBot, tasks: TaskRunner):
    errors: list[TaskError] = []

    def work() -> None:
        raise ConfigurationError("Klarna-användarnamnet saknas")

    tasks.run(work, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert errors[0].message == "Klarna-användarnamnet saknas"
    assert errors[0].known


def test_bug_becomes_calm_message_and_logged_traceback(
    qtbot: QtBot, tasks: TaskRunner, caplog: pytest.LogCaptureFixture
):
    messages: list[str] = []
    tasks.error_occurred.connect(messages.append)

    def work() -> None:
        raise ZeroDivisionError("boom")

    with caplog.at_level(logging.ERROR, logger="westgear_desk.ui.tasks"):
        tasks.run(work)
        qtbot.waitUntil(lambda: bool(messages))
    assert messages == [tr("error.unexpected")]
    assert "Traceback" not in messages[0]
    assert any(
        record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records
    )


def test_progress_then_cancel_drops_the_result(qtbot: QtBot, tasks: TaskRunner):
    progress: list[tuple[int, int, str]] = []
    results: list[object] = []
    go_on = threading.Event()

    def long_work(context: TaskContext) -> str:
        for step in range(1000):
            context.report(step, 1000, f"steg {step}")
            if step == 1:
                go_on.wait(5)
            context.raise_if_cancelled()
        return "finished"

    handle = tasks.run(
        long_work,
        with_context=True,
        on_done=results.append,
        on_progress=lambda *p: progress.append(p),
    )
    qtbot.waitUntil(lambda: len(progress) >= 2)
    assert progress[0] == (0, 1000, "steg 0")
    handle.cancel()
    go_on.set()
    qtbot.waitUntil(lambda: handle.finished)
    assert results == []
    assert not tasks.busy


def test_busy_signal_and_deleted_owner_gets_no_callback(qtbot: QtBot, tasks: TaskRunner):
    release = threading.Event()
    label = QLabel()
    calls: list[object] = []
    with qtbot.waitSignal(tasks.busy_changed) as started:
        handle = tasks.run(lambda: release.wait(5), on_done=calls.append, owner=label)
    assert started.args == [True]
    label.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(label))
    with qtbot.waitSignal(tasks.busy_changed) as stopped:
        release.set()
    assert stopped.args == [False]
    assert handle.finished
    assert calls == []
