"""The Quarantine page: held-back records, why (in plain words), and the admin's decisions.

The table lists entries lazily; the detail pane shows each reason in the UI language beside
the raw payload with the broken fields' lines highlighted. Release, override a reason and
ignore are for admins (others see them disabled, and the service refuses them anyway);
re-fetch is for roles that may ask the source again. Every action asks why first (audited)
and runs in the TaskRunner; several selected entries run as one bulk task with progress and
a cancel button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_admin
from westgear_desk.db.enums import QuarantineStatus
from westgear_desk.db.queries_admin import QuarantineDetail, QuarantineQuery
from westgear_desk.db.session import make_session_factory, reader_engine
from westgear_desk.services import quarantine as service
from westgear_desk.services.auth import Permission, has_permission
from westgear_desk.services.inbox import flow_environment
from westgear_desk.services.jobs import BulkResult
from westgear_desk.services.quarantine import RefetchRegistry, build_refetch_registry
from westgear_desk.ui.dialogs.bulk_progress import BulkProgress
from westgear_desk.ui.dialogs.reason_dialog import ReasonDialog
from westgear_desk.ui.formatting import format_number
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.health_models import fit_columns_once
from westgear_desk.ui.models.quarantine_model import QuarantineModel
from westgear_desk.ui.pages.bulk_actions import BulkActions
from westgear_desk.ui.pages.quarantine_detail import QuarantineDetailPane
from westgear_desk.ui.widgets.error_banner import ErrorBanner
from westgear_desk.ui.widgets.search_field import SearchField

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskRunner

register(
    {
        "quarantine.search": (
            "Sök post-id, artikelnr, namn eller anledning… (Ctrl+F)",
            "Search record id, SKU, name or reason… (Ctrl+F)",
        ),
        "quarantine.filter.all": ("Alla statusar", "All statuses"),
        "quarantine.count": ("{count} poster", "{count} records"),
        "quarantine.release": ("Frisläpp", "Release"),
        "quarantine.override": ("Godta vald anledning", "Override selected reason"),
        "quarantine.ignore": ("Ignorera", "Ignore"),
        "quarantine.refetch": ("Hämta igen nu", "Re-fetch now"),
        "quarantine.admin_only": ("Endast administratörer.", "Administrators only."),
        "quarantine.no_refetch": (
            "Ingen källa erbjuder Hämta igen i denna installation.",
            "No source offers re-fetch in this installation.",
        ),
        "quarantine.ask.release": ("Frisläpp {count} post(er)", "Release {count} record(s)"),
        "quarantine.ask.ignore": ("Ignorera {count} post(er)", "Ignore {count} record(s)"),
        "quarantine.ask.override": ("Godta anledningen {code}", "Override the reason {code}"),
        "quarantine.ask.refetch": ("Hämta {count} post(er) igen", "Re-fetch {count} record(s)"),
    }
)
AUTO_REFRESH_MS = 15_000


def _detail(factory: sessionmaker[Session], entry_id: int) -> QuarantineDetail | None:
    with factory() as session:
        return queries_admin.quarantine_detail(session, entry_id)


class QuarantinePage(BulkActions, QWidget):
    """Filters, the lazy entry table, the detail pane and the role-aware action bar."""

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner,
        *,
        auto_refresh_ms: int = AUTO_REFRESH_MS,
    ) -> None:
        super().__init__()
        self.services, self.user, self.tasks = services, user, tasks
        self._reader = make_session_factory(reader_engine(services.engine))
        self.refetchers = RefetchRegistry()
        self._reselect: list[int] = []
        self._detail_entry: QuarantineDetail | None = None
        self._build()
        self.model = QuarantineModel(tasks, self._reader, parent=self)
        self.model.query_finished.connect(self._query_finished)
        self.model.load_failed.connect(self.banner.show_message)
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self._query = QuarantineQuery()
        self.model.set_query(self._query)
        env = flow_environment(services.settings, services.session_factory)
        tasks.run(build_refetch_registry, env, on_done=self._refetch_ready,
                  on_error=self._show_error, owner=self)  # fmt: skip
        self._update_actions()
        self._timer = QTimer(self)
        self._timer.setInterval(auto_refresh_ms)
        self._timer.timeout.connect(self._auto_refresh)
        if auto_refresh_ms > 0:
            self._timer.start()

    @property
    def title(self) -> str:
        return tr("page.quarantine")

    def _auto_refresh(self) -> None:
        """New quarantined records appear by themselves; the selection is kept."""
        if not self.bulk.busy and not self.model.is_loading and self.isVisible():
            self.refresh()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.search = SearchField(self)
        self.search.setPlaceholderText(tr("quarantine.search"))
        self.search.search_requested.connect(lambda _t: self._apply())
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("status_filter")
        for status in QuarantineStatus:
            self.status_filter.addItem(tr(f"quarantine.status.{status.value}"), status.value)
        self.status_filter.addItem(tr("quarantine.filter.all"), "")
        self.status_filter.currentIndexChanged.connect(lambda _i: self._apply())
        self.count_label = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter, 1)
        bar.addWidget(self.count_label)
        self.banner = ErrorBanner(self)
        self.table = QTableView(self)
        self.table.setObjectName("quarantine_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        layout.addLayout(self._build_actions())

    def _build_detail(self) -> QWidget:
        self.detail_pane = QuarantineDetailPane(self)
        pane = self.detail_pane
        self.detail_header, self.reasons = pane.header, pane.reasons
        self.payload, self.history = pane.payload, pane.history
        self.reasons.currentItemChanged.connect(lambda *_a: self._update_actions())
        return pane

    def _build_actions(self) -> QHBoxLayout:
        def button(key: str, name: str, slot: Any) -> QPushButton:
            widget = QPushButton(tr(key), self)
            widget.setObjectName(name)
            widget.clicked.connect(slot)
            return widget

        self.release_button = button("quarantine.release", "release", self._release)
        self.override_button = button("quarantine.override", "override", self._override)
        self.ignore_button = button("quarantine.ignore", "ignore", self._ignore)
        self.refetch_button = button("quarantine.refetch", "refetch", self._refetch)
        self.bulk = BulkProgress(self.tasks, self)
        self.bulk.finished.connect(self._bulk_done)
        self.bulk.failed.connect(self._bulk_failed)
        row = QHBoxLayout()
        for widget in (
            self.release_button, self.override_button, self.ignore_button, self.refetch_button,
        ):  # fmt: skip
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.bulk)
        return row

    # ------------------------------------------------------------------ page protocol

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        self._reselect = self.selected_ids()
        self.model.refresh()

    def shutdown(self) -> None:
        self._timer.stop()
        self.model.cancel()
        self.bulk.cancel()

    # ------------------------------------------------------------------ list and detail

    def _apply(self) -> None:
        status = self.status_filter.currentData()
        self._query = QuarantineQuery(
            status=QuarantineStatus(status) if status else None, search=self.search.text().strip()
        )
        self.model.set_query(self._query)

    def _query_finished(self, total: int) -> None:
        self.count_label.setText(tr("quarantine.count", count=format_number(total)))
        fit_columns_once(self.table)
        wanted, self._reselect = self._reselect, []
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for entry_id in wanted:  # keep what was selected selected across a refresh
            row = self.model.row_of(entry_id)
            if row is not None:
                selection.select(self.model.index(row, 0), flags)
        self._selection_changed()

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [i for i in (self.model.id_at(r) for r in rows) if i is not None]

    def _selection_changed(self) -> None:
        self._update_actions()
        self._load_detail()

    def _load_detail(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            self._show_detail(None)
            return
        self.tasks.run(_detail, self._reader, ids[0], on_done=self._show_detail,
                       on_error=self._show_error, owner=self)  # fmt: skip

    def _show_detail(self, detail: QuarantineDetail | None) -> None:
        if detail is not None and self.selected_ids() != [detail.row.id]:
            return  # the selection moved on while this loaded
        self._detail_entry = detail
        self.detail_pane.show_detail(detail)
        self._update_actions()

    # ------------------------------------------------------------------ actions

    def _refetch_ready(self, registry: RefetchRegistry) -> None:
        self.refetchers = registry
        self._update_actions()

    def _update_actions(self) -> None:
        count = len(self.selected_ids()) if hasattr(self, "model") else 0
        busy = hasattr(self, "bulk") and self.bulk.busy
        admin_tip = "" if self.user.is_admin else tr("quarantine.admin_only")
        for button, permission in (
            (self.release_button, Permission.RELEASE_QUARANTINE),
            (self.ignore_button, Permission.IGNORE_QUARANTINE),
        ):
            allowed = has_permission(self.user, permission)
            button.setEnabled(allowed and count > 0 and not busy)
            button.setToolTip(admin_tip if not allowed else "")
        may_override = has_permission(self.user, Permission.OVERRIDE_QUARANTINE)
        has_reason = self.reasons.currentItem() is not None and count == 1
        self.override_button.setEnabled(may_override and has_reason and not busy)
        self.override_button.setToolTip(admin_tip if not may_override else "")
        may_refetch = has_permission(self.user, Permission.REFETCH)
        self.refetch_button.setEnabled(
            may_refetch and bool(self.refetchers) and count > 0 and not busy
        )
        self.refetch_button.setToolTip("" if self.refetchers else tr("quarantine.no_refetch"))

    def _ask(self, key: str, **values: object) -> str | None:
        return ReasonDialog.ask(self, tr(key, **values))

    def _release(self) -> None:
        ids = self.selected_ids()
        reason = self._ask("quarantine.ask.release", count=len(ids))
        if reason:
            self._run_bulk(service.release_many, ids, reason)

    def _ignore(self) -> None:
        ids = self.selected_ids()
        reason = self._ask("quarantine.ask.ignore", count=len(ids))
        if reason:
            self._run_bulk(service.ignore_many, ids, reason)

    def _refetch(self) -> None:
        ids = self.selected_ids()
        reason = self._ask("quarantine.ask.refetch", count=len(ids))
        if reason is None:
            return
        registry = self.refetchers

        def work(factory: Any, user: Any, entry_ids: Any, why: str, progress: Any) -> BulkResult:
            return service.refetch_many(factory, registry, user, entry_ids, reason=why,
                                        progress=progress)  # fmt: skip

        self._run_bulk(work, ids, reason)

    def _override(self) -> None:
        code = self.detail_pane.selected_code()
        ids = self.selected_ids()
        if code is None or len(ids) != 1:
            return
        reason = self._ask("quarantine.ask.override", code=code)
        if not reason:
            return
        self.tasks.run(
            service.override_reason, self.services.session_factory, self.user, ids[0], code,
            reason, on_done=lambda _released: self.refresh(), on_error=self._show_error,
            owner=self,
        )  # fmt: skip
