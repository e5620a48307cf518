"""The real start-up path: the window opens first, the engine starts behind it, and both
close cleanly with the window."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from westgear_desk.app import run_desktop
from westgear_desk.settings import Settings
from westgear_desk.ui.main_window import MainWindow


def test_the_window_opens_before_the_engine_and_both_stop_on_close(
    qtbot: QtBot, ui_settings: Settings
) -> None:
    seen: dict[str, object] = {}

    def while_running() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        window = windows[0]
        seen["window"] = window
        seen["visible_before_engine"] = window.isVisible() and window.services.desk is None
        qtbot.waitUntil(
            lambda: window.services.desk is not None and window.services.desk.running,
            timeout=30_000,
        )
        seen["scheduler_text"] = window.status.scheduler_label.text()
        window.close()

    QTimer.singleShot(0, while_running)
    assert run_desktop(ui_settings) == 0
    window = seen["window"]
    assert isinstance(window, MainWindow)
    assert seen["visible_before_engine"] is True
    assert seen["scheduler_text"] == "Schemaläggare: igång"
    assert window.services.desk is not None
    assert not window.services.desk.running  # stopped when the window closed
    window.deleteLater()
