"""The read-mostly tabs of the Sync health page: runs, the inbox (with replay) and the call log.

Each tab owns its filters and its list model, loads through the TaskRunner and shows errors
in the page's banner; the inbox tab's replay is role-checked by `services.inbox`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_admin
from westgear_desk.db.enums import InboxStatus
from westgear_desk.db.queries_admin import ApiCallQuery, InboxQuery
from westgear_desk.services import inbox as inbox_service
from westgear_desk.services import jobs as jobs_service
from westgear_desk.services.auth import can_replay_inbox
from westgear_desk.services.jobs import BulkResult
from westgear_desk.sync.inbox import AttemptView, EventSummary, InboxRegistry
from westgear_desk.sync.runs import RunView
from westgear_desk.ui.dialogs.bulk_progress import BulkProgress, describe_result
from westgear_desk.ui.dialogs.reason_dialog import ReasonDialog
from westgear_desk.ui.formatting import format_datetime
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.health_models import (
    calls_model,
    fit_columns_once,
    inbox_model,
    runs_model,
    state_text,
)
from westgear_desk.ui.models.lazy_table import ROW_ID_ROLE

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskHandle, TaskRunner

register(
    {
        "health.filter.all_schedules": ("Alla scheman", "All schedules"),
        "health.filter.all_sources": ("Alla källor", "All sources"),
        "health.filter.all_statuses": ("Alla statusar", "All statuses"),
        "health.filter.all_systems": ("Alla system", "All systems"),
        "health.filter.outcome.all": ("Alla utfall", "All outcomes"),
        "health.filter.outcome.ok": ("Lyckade", "Succeeded"),
        "health.filter.outcome.error": ("Fel", "Errors"),
        "health.filter.min_latency": ("Minst ", "At least "),
        "health.replay": ("Kör om", "Replay"),
        "health.replay.ask": ("Kör om {count} händelse(r)", "Replay {count} event(s)"),
        "health.replay.done": ("{count} händelse(r) kördes om.", "{count} event(s) replayed."),
        "health.replay.admin_only": ("Endast administratörer.", "Administrators only."),
        "health.replayed_by": ("omkörd av {who}", "replayed by {who}"),
    }
)
Report = Callable[[str], None]
SCHEDULES = ("catalog", "stock_price", "customers_orders", "full_refresh", "tracking")


def make_table(parent: QWidget, name: str, model: Any, multi: bool = False) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    mode = QAbstractItemView.SelectionMode
    table.setSelectionMode(mode.ExtendedSelection if multi else mode.SingleSelection)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    model.modelReset.connect(lambda: fit_columns_once(table))
    return table


def make_combo(parent: QWidget, name: str, first: str, items: list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.addItem(first, "")
    for text, data in items:
        combo.addItem(text, data)
    return combo


class LatestOnly:
    """Starts a load, cancelling the previous one so an older result never overwrites a newer."""

    def __init__(self, tasks: TaskRunner) -> None:
        self._tasks = tasks
        self._handle: TaskHandle | None = None

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._tasks.run(fn, *args, **kwargs)


def _runs(factory: sessionmaker[Session], schedule: str | None) -> list[RunView]:
    return jobs_service.recent_runs(factory, schedule=schedule)


def _inbox(factory: sessionmaker[Session], query: InboxQuery) -> list[queries_admin.InboxRow]:
    with factory() as session:
        return queries_admin.inbox_rows(session, query)


def _calls(factory: sessionmaker[Session], query: ApiCallQuery) -> list[queries_admin.ApiCallRow]:
    with factory() as session:
        return queries_admin.api_call_rows(session, query)


class RunsTab(QWidget):
    """The last runs of each schedule with counts, duration and error."""

    def __init__(self, tasks: TaskRunner, factory: sessionmaker[Session], report: Report) -> None:
        super().__init__()
        self._tasks, self._factory, self._report = tasks, factory, report
        self._latest = LatestOnly(tasks)
        self.schedule = make_combo(self, "schedule_filter", tr("health.filter.all_schedules"),
                               [(name, name) for name in SCHEDULES])  # fmt: skip
        self.schedule.currentIndexChanged.connect(lambda _i: self.load())
        self.descriptions: dict[str, str] = {}
        self.model = runs_model(self.descriptions, self)
        self.table = make_table(self, "runs_table", self.model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.schedule)
        layout.addWidget(self.table, 1)

    def set_flows(self, descriptions: dict[str, str]) -> None:
        """The flows this desk schedules: their names fill the filter, their texts a column."""
        self.descriptions.update(descriptions)
        known = {self.schedule.itemData(i) for i in range(self.schedule.count())}
        for name in sorted(descriptions):
            if name not in known:
                self.schedule.addItem(name, name)
        for i in range(1, self.schedule.count()):
            text = descriptions.get(self.schedule.itemData(i))
            if text:
                self.schedule.setItemData(i, text, Qt.ItemDataRole.ToolTipRole)
        self.model.set_rows(self.model.rows())

    def load(self) -> None:
        self._latest.run(
            _runs,
            self._factory,
            self.schedule.currentData(),
            owner=self,
            on_done=self.model.set_rows,
            on_error=lambda e: self._report(e.message),
        )


class InboxTab(QWidget):
    """Inbox events with source/status/text filters, their history, and replay for admins."""

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner,
        factory: sessionmaker[Session],
        report: Report,
    ) -> None:
        super().__init__()
        self._services, self._user, self._tasks = services, user, tasks
        self._factory, self._report = factory, report
        self._latest = LatestOnly(tasks)
        self._latest_history = LatestOnly(tasks)
        self.registry: InboxRegistry | None = None
        self.search_text = ""
        self.source = make_combo(
            self,
            "source_filter",
            tr("health.filter.all_sources"),
            [(s, s) for s in ("sharespine", "klarna", "postnord", "dhl")],
        )
        self.status = make_combo(self, "inbox_status_filter", tr("health.filter.all_statuses"),
                             [(state_text(s.value), s.value) for s in InboxStatus])  # fmt: skip
        for combo in (self.source, self.status):
            combo.currentIndexChanged.connect(lambda _i: self.load())
        self.replay_button = QPushButton(tr("health.replay"), self)
        self.replay_button.setObjectName("replay")
        self.replay_button.clicked.connect(self._replay)
        self.model = inbox_model(self)
        self.table = make_table(self, "inbox_table", self.model, multi=True)
        self.bulk = BulkProgress(tasks, self)
        self.bulk.finished.connect(self._replayed_many)
        self.bulk.failed.connect(self._replay_failed)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.history = QLabel(self)
        self.history.setObjectName("inbox_history")
        self.history.setWordWrap(True)
        bar = QHBoxLayout()
        for widget in (self.source, self.status):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.bulk)
        bar.addWidget(self.replay_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.history)
        self._selected()

    def load(self) -> None:
        query = InboxQuery(
            source=self.source.currentData() or None,
            status=InboxStatus(self.status.currentData()) if self.status.currentData() else None,
            search=self.search_text,
        )
        self._latest.run(_inbox, self._factory, query, owner=self, on_done=self.model.set_rows,
                        on_error=lambda e: self._report(e.message))  # fmt: skip

    def selected_ids(self) -> list[int]:
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [int(index.data(ROW_ID_ROLE)) for index in rows]

    def selected_id(self) -> int | None:
        """The one selected event (None when none or several are selected)."""
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _selected(self) -> None:
        event_id = self.selected_id()
        allowed = can_replay_inbox(self._user)
        self.replay_button.setEnabled(allowed and bool(self.selected_ids()) and not self.bulk.busy)
        self.replay_button.setToolTip("" if allowed else tr("health.replay.admin_only"))
        if event_id is None:
            self.history.clear()
            return
        self._latest_history.run(
            inbox_service.event_history,
            self._factory,
            event_id,
            owner=self,
            on_done=self._show_history,
            on_error=lambda e: self._report(e.message),
        )

    def _show_history(self, found: tuple[EventSummary, list[AttemptView]]) -> None:
        summary, attempts = found
        lines = [f"<b>{escape(summary.source)} {escape(summary.event_type)}</b> "
                 f"({escape(summary.dedupe_key)})"]  # fmt: skip
        for a in attempts:
            who = f" – {tr('health.replayed_by', who=a.replayed_by)}" if a.is_replay else ""
            lines.append(
                f"#{a.attempt_no} {escape(format_datetime(a.started_at, seconds=True))} "
                f"{escape(state_text(a.outcome))} {escape(a.error_class or '')} "
                f"{escape(a.message or '')}{escape(who)}"
            )
        self.history.setText("<br>".join(lines))

    def _replay(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        reason = ReasonDialog.ask(self, tr("health.replay.ask", count=len(ids)))
        if not reason:
            return
        services, user = self._services, self._user

        def replay(items: Sequence[int], progress: Any) -> BulkResult:
            # worker side: build the processors once, then replay (role-checked, audited)
            if self.registry is None:
                self.registry = inbox_service.build_inbox_registry(
                    services.settings, services.session_factory
                )
            return inbox_service.replay_many(
                services.session_factory, self.registry, services.settings, user, items,
                reason=reason, progress=progress,
            )  # fmt: skip

        self.bulk.start(replay, ids)
        self._selected()

    def _replayed_many(self, result: BulkResult) -> None:
        message = describe_result(result) or tr("health.replay.done", count=len(result.done))
        self._report(message)
        self.load()

    def _replay_failed(self, message: str) -> None:
        self._report(message)
        self.load()


class CallsTab(QWidget):
    """The API-call log, filtered by system, outcome and a minimum latency."""

    def __init__(self, tasks: TaskRunner, factory: sessionmaker[Session], report: Report) -> None:
        super().__init__()
        self._tasks, self._factory, self._report = tasks, factory, report
        self._latest = LatestOnly(tasks)
        self.search_text = ""
        systems = ("sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp")
        self.system = make_combo(self, "system_filter", tr("health.filter.all_systems"),
                             [(s, s) for s in systems])  # fmt: skip
        self.outcome = make_combo(self, "outcome_filter", tr("health.filter.outcome.all"),
                              [(tr("health.filter.outcome.ok"), "ok"),
                               (tr("health.filter.outcome.error"), "error")])  # fmt: skip
        self.min_latency = QSpinBox(self)
        self.min_latency.setObjectName("min_latency")
        self.min_latency.setRange(0, 600_000)
        self.min_latency.setSingleStep(100)
        self.min_latency.setPrefix(tr("health.filter.min_latency"))
        self.min_latency.setSuffix(" ms")
        for combo in (self.system, self.outcome):
            combo.currentIndexChanged.connect(lambda _i: self.load())
        self.min_latency.editingFinished.connect(self.load)
        self.model = calls_model(self)
        self.table = make_table(self, "calls_table", self.model)
        bar = QHBoxLayout()
        for widget in (self.system, self.outcome, self.min_latency):
            bar.addWidget(widget)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def load(self) -> None:
        query = ApiCallQuery(
            system=self.system.currentData() or None,
            outcome=self.outcome.currentData() or None,
            min_latency_ms=self.min_latency.value() or None,
        )
        self._latest.run(_calls, self._factory, query, owner=self, on_done=self._show,
                        on_error=lambda e: self._report(e.message))  # fmt: skip

    def _show(self, rows: list[queries_admin.ApiCallRow]) -> None:
        text = self.search_text.lower()
        if text:
            rows = [r for r in rows if text in f"{r.endpoint} {r.correlation_id or ''}".lower()]
        self.model.set_rows(rows)
