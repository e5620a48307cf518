"""The real start-up path: the window opens first, the engine starts behind it, and both
close cleanly with the window."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from westgear_desk import app as desktop
from westgear_desk.app import AppServices, run_desktop
from westgear_desk.settings import Settings
from westgear_desk.sync.desk import Desk
from westgear_desk.ui.main_window import MainWindow


def test_the_window_opens_before_the_engine_and_both_stop_on_close(
    qtbot: QtBot, ui_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}
    real_start = desktop.start_desk

    def start_desk(services: AppServices) -> Desk:
        seen["engine_thread_is_gui"] = threading.current_thread() is threading.main_thread()
        return real_start(services)

    monkeypatch.setattr(desktop, "start_desk", start_desk)

    def while_running() -> None:
        shown = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        assert len(shown) == 1
        window = shown[0]
        seen["window"] = window
        qtbot.waitUntil(  # the status bar says so once the engine runs
            lambda: window.status.scheduler_label.text() == "Schemaläggare: igång",
            timeout=30_000,
        )
        seen["running"] = window.services.desk is not None and window.services.desk.running
        window.close()

    QTimer.singleShot(0, while_running)
    assert run_desktop(ui_settings) == 0
    window = seen["window"]
    assert isinstance(window, MainWindow)
    assert seen["engine_thread_is_gui"] is False  # started behind the shown window
    assert seen["running"] is True
    assert window.services.desk is not None
    assert not window.services.desk.running  # stopped when the window closed
    window.deleteLater()
