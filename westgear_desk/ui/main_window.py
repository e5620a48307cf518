"""The main window: navigation between pages, toolbar, status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QMainWindow

if TYPE_CHECKING:
    from westgear_desk.app import AppServices


class MainWindow(QMainWindow):
    """The desk's one main window; pages are added by the UI issue."""

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        from westgear_desk.db.session import describe_database

        self._services = services
        self.setWindowTitle("WestGear Desk")
        self.resize(1280, 800)
        self.setCentralWidget(QLabel("WestGear Desk"))
        self.statusBar().showMessage(describe_database(services.database_url))
