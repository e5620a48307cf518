"""The Sync health page: what needs action (dead jobs), runs, the inbox and the API-call log.

A 24-hour chart of calls, errors and latency sits on top. Dead jobs show their whole attempt
history (error class, message, HTTP status, the provider's request id) and can be retried,
edited and retried, or discarded by admins (asked why, audited); several at once run as one
bulk task with progress and a cancel button. Everything loads in the TaskRunner.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_admin
from westgear_desk.db.queries_admin import HourStats, JobRow
from westgear_desk.db.session import make_session_factory, reader_engine
from westgear_desk.services import jobs as jobs_service
from westgear_desk.services.auth import Permission, has_permission
from westgear_desk.services.jobs import JobDetail
from westgear_desk.ui.dialogs.bulk_progress import BulkProgress
from westgear_desk.ui.dialogs.payload_dialog import PayloadDialog
from westgear_desk.ui.dialogs.reason_dialog import ReasonDialog
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.health_models import attempts_model, jobs_model
from westgear_desk.ui.models.lazy_table import ROW_ID_ROLE
from westgear_desk.ui.pages.bulk_actions import BulkActions
from westgear_desk.ui.pages.sync_health_chart import CallChart
from westgear_desk.ui.pages.sync_health_tabs import (
    CallsTab,
    InboxTab,
    LatestOnly,
    RunsTab,
    make_combo,
    make_table,
)
from westgear_desk.ui.widgets.error_banner import ErrorBanner
from westgear_desk.ui.widgets.search_field import SearchField

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskRunner

register(
    {
        "health.tab.dead": ("Behöver åtgärd ({count})", "Needs action ({count})"),
        "health.tab.runs": ("Körningar", "Runs"),
        "health.tab.inbox": ("Inkorg", "Inbox"),
        "health.tab.calls": ("API-anrop", "API calls"),
        "health.search": (
            "Filtrera jobb, händelser och anrop… (Ctrl+F)",
            "Filter jobs, events and calls… (Ctrl+F)",
        ),
        "health.retry": ("Försök igen", "Retry"),
        "health.edit_retry": ("Ändra data och försök igen", "Edit payload and retry"),
        "health.discard": ("Kasta", "Discard"),
        "health.ask.retry": ("Försök igen med {count} jobb", "Retry {count} job(s)"),
        "health.ask.discard": ("Kasta {count} jobb", "Discard {count} job(s)"),
        "health.admin_only": ("Endast administratörer.", "Administrators only."),
        "health.all_integrations": ("Alla integrationer", "All integrations"),
    }
)
AUTO_REFRESH_MS = 15_000
INTEGRATIONS = ("sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp")


def _dead(factory: sessionmaker[Session], integration: str | None) -> list[JobRow]:
    return jobs_service.dead_jobs(factory, integration=integration)


def _stats(factory: sessionmaker[Session], system: str | None) -> list[HourStats]:
    with factory() as session:
        return queries_admin.call_stats_24h(session, system=system or None)


class SyncHealthPage(BulkActions, QWidget):
    """Chart on top, then tabs: needs action, runs, inbox, API calls."""

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
        self._detail: JobDetail | None = None
        self._all_jobs: list[JobRow] = []
        self._jobs_loader, self._detail_loader = LatestOnly(tasks), LatestOnly(tasks)
        self.search = SearchField(self)
        self.search.setPlaceholderText(tr("health.search"))
        self.search.search_requested.connect(self._search)
        self.banner = ErrorBanner(self)
        self.chart = CallChart(self)
        self.chart_system = make_combo(self, "chart_system", tr("health.filter.all_systems"),
                                       [(name, name) for name in INTEGRATIONS])  # fmt: skip
        self.chart_system.currentIndexChanged.connect(lambda _i: self._load_stats())
        self._stats_loader = LatestOnly(tasks)
        report = self.banner.show_message
        self.runs = RunsTab(tasks, self._reader, report)
        self.inbox = InboxTab(services, user, tasks, self._reader, report)
        self.calls = CallsTab(tasks, self._reader, report)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("health_tabs")
        self.tabs.addTab(self._build_jobs(), tr("health.tab.dead", count=0))
        self.tabs.addTab(self.runs, tr("health.tab.runs"))
        self.tabs.addTab(self.inbox, tr("health.tab.inbox"))
        self.tabs.addTab(self.calls, tr("health.tab.calls"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.banner)
        chart_row = QHBoxLayout()
        chart_row.addWidget(self.chart, 1)
        chart_row.addWidget(self.chart_system, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(chart_row)
        layout.addWidget(self.tabs, 1)
        self._update_actions()
        self.refresh()
        tasks.run(jobs_service.flow_descriptions, services.settings, services.session_factory,
                  on_done=self.runs.set_flows, on_error=self._show_error, owner=self)  # fmt: skip
        self._timer = QTimer(self)
        self._timer.setInterval(auto_refresh_ms)
        self._timer.timeout.connect(self._auto_refresh)
        if auto_refresh_ms > 0:
            self._timer.start()

    @property
    def title(self) -> str:
        return tr("page.sync_health")

    # ------------------------------------------------------------------ layout

    def _build_jobs(self) -> QWidget:
        tab = QWidget(self)
        self.integration = make_combo(tab, "integration_filter", tr("health.all_integrations"),
                                  [(name, name) for name in INTEGRATIONS])  # fmt: skip
        self.integration.currentIndexChanged.connect(lambda _i: self._load_jobs())
        self.jobs_model = jobs_model(tab)
        self.jobs_table = make_table(tab, "dead_jobs_table", self.jobs_model, multi=True)
        self.jobs_table.selectionModel().selectionChanged.connect(lambda *_a: self._job_selected())
        self.attempts_model = attempts_model(tab)
        self.attempts_table = make_table(tab, "attempts_table", self.attempts_model)
        self.payload_view = QPlainTextEdit(tab)
        self.payload_view.setObjectName("job_payload")
        self.payload_view.setReadOnly(True)
        self.payload_view.setFont(QFont("monospace"))
        lower = QSplitter(Qt.Orientation.Horizontal, tab)
        lower.addWidget(self.attempts_table)
        lower.addWidget(self.payload_view)
        lower.setStretchFactor(0, 3)
        splitter = QSplitter(Qt.Orientation.Vertical, tab)
        splitter.addWidget(self.jobs_table)
        splitter.addWidget(lower)
        self.retry_button = self._button(tab, "health.retry", "retry", self._retry)
        self.edit_button = self._button(tab, "health.edit_retry", "edit_retry", self._edit_retry)
        self.discard_button = self._button(tab, "health.discard", "discard", self._discard)
        self.bulk = BulkProgress(self.tasks, tab)
        self.bulk.finished.connect(self._bulk_done)
        self.bulk.failed.connect(self._bulk_failed)
        bar = QHBoxLayout()
        bar.addWidget(self.integration)
        for widget in (self.retry_button, self.edit_button, self.discard_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.bulk)
        layout = QVBoxLayout(tab)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        return tab

    @staticmethod
    def _button(parent: QWidget, key: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(tr(key), parent)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ page protocol

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        self._load_jobs()
        self.runs.load()
        self.inbox.load()
        self.calls.load()
        self._load_stats()

    def _load_stats(self) -> None:
        self._stats_loader.run(_stats, self._reader, self.chart_system.currentData(),
                               on_done=self.chart.set_stats, on_error=self._show_error,
                               owner=self)  # fmt: skip

    def shutdown(self) -> None:
        self._timer.stop()
        self.bulk.cancel()

    def _auto_refresh(self) -> None:
        """Keep the chart, dead jobs and runs current; lists the user is working in stay put."""
        if self.bulk.busy or not self.isVisible():
            return
        self._load_jobs()
        self.runs.load()
        self._load_stats()
        for tab in (self.inbox, self.calls):
            if self.tabs.currentWidget() is tab and not tab.table.selectionModel().hasSelection():
                tab.load()

    def _search(self, text: str) -> None:
        self.inbox.search_text = text
        self.calls.search_text = text
        self._show_jobs(self._all_jobs)
        self.inbox.load()
        self.calls.load()

    # ------------------------------------------------------------------ dead jobs

    def _load_jobs(self) -> None:
        integration = self.integration.currentData() or None
        self._jobs_loader.run(_dead, self._reader, integration, on_done=self._show_jobs,
                       on_error=self._show_error, owner=self)  # fmt: skip

    def _show_jobs(self, rows: list[JobRow]) -> None:
        self._all_jobs = rows
        text = self.search.text().strip().lower()
        if text:
            rows = [
                r for r in rows
                if text in f"{r.kind} {r.correlation_id or ''} {r.last_error or ''}".lower()
            ]  # fmt: skip
        selected = set(self.selected_job_ids())
        self.jobs_model.set_rows(rows)
        self.tabs.setTabText(0, tr("health.tab.dead", count=len(self._all_jobs)))
        selection = self.jobs_table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row_no, row in enumerate(rows):
            if row.id in selected:  # keep what was selected selected across a refresh
                selection.select(self.jobs_model.index(row_no, 0), flags)
        self._job_selected()

    def selected_job_ids(self) -> list[int]:
        rows = sorted(self.jobs_table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [int(index.data(ROW_ID_ROLE)) for index in rows]

    def _job_selected(self) -> None:
        ids = self.selected_job_ids()
        self._update_actions()
        if len(ids) != 1:
            self._detail = None
            self.attempts_model.set_rows([])
            self.payload_view.clear()
            return
        self._detail_loader.run(
            jobs_service.job_detail, self._reader, ids[0], on_done=self._show_detail,
            on_error=self._show_error, owner=self,
        )  # fmt: skip

    def _show_detail(self, detail: JobDetail) -> None:
        if self.selected_job_ids() != [detail.summary.id]:
            return
        self._detail = detail
        self.attempts_model.set_rows(detail.history)
        self.payload_view.setPlainText(json.dumps(detail.payload, indent=2, ensure_ascii=False))
        self._update_actions()

    def _update_actions(self) -> None:
        count = len(self.selected_job_ids()) if hasattr(self, "jobs_table") else 0
        idle = not (hasattr(self, "bulk") and self.bulk.busy)
        tip = "" if self.user.is_admin else tr("health.admin_only")
        for button, permission, need in (
            (self.retry_button, Permission.RETRY_JOBS, count > 0),
            (self.discard_button, Permission.DISCARD_JOBS, count > 0),
            (
                self.edit_button,
                Permission.EDIT_JOB_PAYLOAD,
                count == 1 and self._detail is not None,
            ),
        ):
            allowed = has_permission(self.user, permission)
            button.setEnabled(allowed and need and idle)
            button.setToolTip(tip if not allowed else "")

    def _retry(self) -> None:
        ids = self.selected_job_ids()
        reason = ReasonDialog.ask(self, tr("health.ask.retry", count=len(ids)))
        if reason:
            self._run_bulk(jobs_service.retry_many, ids, reason)

    def _discard(self) -> None:
        ids = self.selected_job_ids()
        reason = ReasonDialog.ask(self, tr("health.ask.discard", count=len(ids)))
        if reason:
            self._run_bulk(jobs_service.discard_many, ids, reason)

    def _edit_retry(self) -> None:
        detail = self._detail
        if detail is None:
            return
        edited = PayloadDialog.edit(self, detail.payload)
        if edited is None:
            return
        payload, reason = edited
        self.tasks.run(
            jobs_service.retry, self.services.session_factory, self.user, detail.summary.id,
            reason, payload, on_done=lambda _r: self.refresh(), on_error=self._show_error,
            owner=self,
        )  # fmt: skip
