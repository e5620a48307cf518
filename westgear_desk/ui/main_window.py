"""The main window: page navigation, toolbar, shortcuts, status bar, remembered layout per user.

Pages come from `pages.base.PAGES` (a page whose module is not in the build is left out);
each page's module is imported and the page built as ``Page(services, user, tasks)`` the first
time it is shown, so start-up pays only for the page the user sees (`page(key)` builds one on
demand). Shortcuts: Ctrl+F focuses
the current page's search, Ctrl+1 … Ctrl+5 switch pages, F5 refreshes, Ctrl+Q quits. Window
geometry, the current page and every named table header are saved per user in QSettings (pass
a QSettings to use a file of your choosing, as tests do).

Signals: `page_changed(str)` with the page key.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from westgear_desk.ui.collector import freeze_start_up_objects
from westgear_desk.ui.i18n import tr
from westgear_desk.ui.pages.base import PAGES, PageSpec, load_page_class, page_available
from westgear_desk.ui.status_bar import DeskStatusBar
from westgear_desk.ui.tasks import TaskRunner, describe_error
from westgear_desk.ui.widgets.error_banner import ErrorBanner

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser


_log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The desk's one main window."""

    page_changed = Signal(str)

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner | None = None,
        qsettings: QSettings | None = None,
        pages: tuple[PageSpec, ...] = PAGES,
    ) -> None:
        super().__init__()
        self.services, self.user = services, user
        self.tasks = tasks or TaskRunner(self)
        self._qsettings = qsettings or QSettings("WestGear", "WestGear Desk")
        self.setObjectName("main_window")
        self.setWindowTitle(f"{tr('app.title')} — {user.display_name}")
        self.resize(1360, 840)
        self.pages: dict[str, QWidget] = {}
        self._holders: dict[str, tuple[PageSpec, QVBoxLayout]] = {}
        self._build_body(pages)
        self._build_actions()
        self.status = DeskStatusBar(services, user, self.tasks, self)
        self.setStatusBar(self.status)
        self.tasks.error_occurred.connect(self.banner.show_message)
        self.restore_layout()
        QTimer.singleShot(0, freeze_start_up_objects)  # once shown: see ui/collector.py

    # ------------------------------------------------------------------ construction

    def _build_body(self, specs: tuple[PageSpec, ...]) -> None:
        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        self.nav.setMaximumWidth(180)
        self.stack = QStackedWidget(self)
        self.banner = ErrorBanner(self)
        for spec in specs:
            if not page_available(spec):
                continue
            holder = QWidget(self.stack)
            holder.setObjectName(f"holder_{spec.key}")
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            self._holders[spec.key] = (spec, holder_layout)
            self.stack.addWidget(holder)
            item = QListWidgetItem(tr(spec.title_key))
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._on_nav)
        splitter = QSplitter(self)
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([self.nav.maximumWidth(), 10_000])
        splitter.setCollapsible(1, False)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

    def page(self, key: str) -> QWidget | None:
        """The page called `key`, built on first use (pages not yet visited cost nothing)."""
        if key in self.pages:
            return self.pages[key]
        if key not in self._holders:
            return None
        spec, holder = self._holders[key]
        parent = holder.parentWidget()
        try:
            factory = load_page_class(spec)
            if factory is None:
                raise ModuleNotFoundError(f"no module named {spec.module!r}", name=spec.module)
            page = factory(self.services, self.user, self.tasks)
        except Exception as exc:  # one broken page must not take the whole desk down
            message = describe_error(exc).message
            _log.error("page %s could not be opened", spec.key, exc_info=exc)
            holder.addWidget(QLabel(message, parent))
            self.banner.show_message(message)
            self._holders.pop(key)
            return None
        page.setObjectName(f"page_{spec.key}")
        holder.addWidget(page)
        self.pages[key] = page
        self._restore_columns(key, page)
        return page

    def _action(self, text: str, shortcut: QKeySequence | str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        toolbar = QToolBar(tr("app.title"), self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.refresh_action = self._action(tr("action.refresh"), "F5", self.refresh_current)
        self.search_action = self._action(tr("action.search"), "Ctrl+F", self.focus_search)
        self.quit_action = self._action(tr("action.quit"), "Ctrl+Q", self.close)
        toolbar.addAction(self.refresh_action)
        toolbar.addAction(self.search_action)
        toolbar.addSeparator()
        self.page_actions: list[QAction] = []
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            action = self._action(
                item.text(), f"Ctrl+{row + 1}", lambda _=False, r=row: self.show_row(r)
            )
            toolbar.addAction(action)
            self.page_actions.append(action)

    # ------------------------------------------------------------------ navigation

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def current_page(self) -> QWidget | None:
        key = self.current_key()
        return None if key is None else self.pages.get(key)

    def show_row(self, row: int) -> None:
        if 0 <= row < self.nav.count():
            self.nav.setCurrentRow(row)

    def show_page(self, key: str) -> None:
        """Switch to the page called `key` (e.g. "orders"); unknown keys are ignored."""
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.nav.setCurrentRow(row)
                return

    def _on_nav(self, row: int) -> None:
        if row < 0:
            return
        key = self.current_key()
        if key is not None:
            self.page(key)
        self.stack.setCurrentIndex(row)
        if key is not None:
            self.page_changed.emit(key)

    def focus_search(self) -> None:
        page = self.current_page()
        if page is not None and hasattr(page, "focus_search"):
            page.focus_search()

    def refresh_current(self) -> None:
        page = self.current_page()
        if page is not None and hasattr(page, "refresh"):
            page.refresh()
        self.status.refresh()

    # ------------------------------------------------------------------ layout memory

    def _group(self) -> str:
        return f"users/{self.user.username}"

    def _headers(self, key: str, page: QWidget) -> dict[str, QHeaderView]:
        headers: dict[str, QHeaderView] = {}
        for header in page.findChildren(QHeaderView):
            view = header.parent()
            if header.orientation() != Qt.Orientation.Horizontal or view is None:
                continue
            if view.objectName():
                headers[f"{key}/{view.objectName()}"] = header
        return headers

    def _restore_columns(self, key: str, page: QWidget) -> None:
        settings = self._qsettings
        settings.beginGroup(self._group())
        for name, header in self._headers(key, page).items():
            columns = settings.value(f"columns/{name}")
            if columns is not None:
                header.restoreState(columns)
        settings.endGroup()

    def save_layout(self) -> None:
        """Write geometry, window state, current page and column layouts for this user."""
        settings = self._qsettings
        settings.beginGroup(self._group())
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("window_state", self.saveState())
        settings.setValue("page", self.current_key() or "")
        for key, page in self.pages.items():  # pages never opened keep what was stored
            for name, header in self._headers(key, page).items():
                settings.setValue(f"columns/{name}", header.saveState())
        settings.endGroup()
        settings.sync()

    def restore_layout(self) -> None:
        """Apply what `save_layout` stored for this user, if anything."""
        settings = self._qsettings
        settings.beginGroup(self._group())
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        page = settings.value("page")
        settings.endGroup()
        if page:
            self.show_page(str(page))
        if self.nav.currentRow() < 0 and self.nav.count():
            self.nav.setCurrentRow(0)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.status.stop()
        for page in self.pages.values():
            shutdown = getattr(page, "shutdown", None)
            if callable(shutdown):
                shutdown()
        self.tasks.shutdown()
        super().closeEvent(event)
