"""The Orders page: every order, searchable and filterable at 100,000 rows, with a detail pane.

Searching and filtering change an `OrderFilter`; the lazy model runs it in SQL off the GUI
thread and drops results a newer filter has superseded. Selecting an order loads its detail and
cross-system timeline in the TaskRunner. The list refreshes itself every `auto_refresh_ms` so new
orders appear without pressing F5, keeping the selected order selected.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QItemSelection, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_orders, queries_timeline
from westgear_desk.db.enums import OrderStatus, PaymentStatus
from westgear_desk.db.queries_orders import NO_PAYMENT, FilterOptions, OrderFilter
from westgear_desk.db.queries_timeline import OrderDetail, TimelineEntry
from westgear_desk.db.session import reader_engine
from westgear_desk.ui.formatting import format_number
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.orders_model import OrdersModel, payment_text, status_text
from westgear_desk.ui.pages.order_detail import OrderDetailPanel
from westgear_desk.ui.widgets.search_field import SearchField

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskError, TaskHandle, TaskRunner

register(
    {
        "orders.search": (
            "Sök ordernr, kund, e-post eller artikelnr… (Ctrl+F)",
            "Search order no., customer, e-mail or SKU… (Ctrl+F)",
        ),
        "orders.count": ("{count} ordrar", "{count} orders"),
        "orders.searching": ("Söker…", "Searching…"),
        "orders.filter.status": ("Alla statusar", "All statuses"),
        "orders.filter.channel": ("Alla kanaler", "All channels"),
        "orders.filter.payment": ("Alla betalningar", "All payments"),
        "orders.filter.from": ("Från", "From"),
        "orders.filter.to": ("Till", "To"),
        "orders.filter.any_date": ("alla datum", "any date"),
    }
)
AUTO_REFRESH_MS = 15_000
#: An automatic refresh waits until the list has not been scrolled for this long.
SCROLL_QUIET_S = 3.0
_NO_DATE = QDate(2000, 1, 1)


def _load_detail(
    factory: sessionmaker[Session], order_id: int
) -> tuple[OrderDetail | None, list[TimelineEntry]]:
    with factory() as session:
        return (
            queries_timeline.order_detail(session, order_id),
            queries_timeline.order_timeline(session, order_id),
        )


def _load_options(factory: sessionmaker[Session]) -> FilterOptions:
    with factory() as session:
        return queries_orders.filter_options(session)


class OrdersPage(QWidget):
    """Orders table (lazy, SQL-sorted and filtered) above the selected order's detail."""

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        auto_refresh_ms: int = AUTO_REFRESH_MS,
    ) -> None:
        super().__init__(parent)
        self._services, self._user, self._tasks = services, user, tasks
        self._factory = sessionmaker(bind=reader_engine(services.engine))
        self._detail_handle: TaskHandle | None = None
        self._selected_id: int | None = None
        self._last_scrolled = 0.0
        self.model = OrdersModel(tasks, self._factory, self)
        self._build()
        self.model.query_started.connect(lambda: self.count_label.setText(tr("orders.searching")))
        self.model.query_finished.connect(self._on_query_finished)
        self.model.load_failed.connect(self._on_load_failed)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(auto_refresh_ms)
        self._refresh_timer.timeout.connect(self._auto_refresh)
        self._refresh_timer.start()
        self.model.first_page_ready.connect(self._load_options)  # the rows come first
        self.model.set_query(self.current_filter())

    @property
    def title(self) -> str:
        return tr("page.orders")

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self.search = SearchField(self)
        self.search.setPlaceholderText(tr("orders.search"))
        self.search.search_requested.connect(self._apply_filter)
        self.status_filter = self._combo(
            tr("orders.filter.status"), [(status_text(s.value), s.value) for s in OrderStatus]
        )
        self.channel_filter = self._combo(tr("orders.filter.channel"), [])
        payments = [(payment_text(None), NO_PAYMENT)]
        payments += [(payment_text(s.value), s.value) for s in PaymentStatus]
        self.payment_filter = self._combo(tr("orders.filter.payment"), payments)
        self.date_from = self._date_edit()
        self.date_to = self._date_edit()
        self.count_label = QLabel(self)
        self.table = self._table()
        self.detail = OrderDetailPanel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        for widget in (self.status_filter, self.channel_filter, self.payment_filter):
            bar.addWidget(widget, 1)
        bar.addWidget(QLabel(tr("orders.filter.from"), self))
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel(tr("orders.filter.to"), self))
        bar.addWidget(self.date_to)
        bar.addWidget(self.count_label)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("orders_splitter")
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    def _combo(self, all_text: str, items: list[tuple[str, str]]) -> QComboBox:
        combo = QComboBox(self)
        combo.addItem(all_text, "")  # never None as item data: PySide6 6.12 drops its refcount
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(self._apply_filter)
        return combo

    def _date_edit(self) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(_NO_DATE)
        edit.setSpecialValueText(tr("orders.filter.any_date"))
        edit.setDate(_NO_DATE)
        edit.dateChanged.connect(self._apply_filter)
        return edit

    def _table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("orders_table")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        for column, width in enumerate((110, 130, 180, 200, 100, 100, 130, 120)):
            table.setColumnWidth(column, width)
        table.setSortingEnabled(True)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        table.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        return table

    # ------------------------------------------------------------------ page protocol

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        self.model.refresh()
        if self._selected_id is not None:
            self._load_detail(self._selected_id)

    def shutdown(self) -> None:
        self._refresh_timer.stop()
        self.model.cancel()

    # ------------------------------------------------------------------ filtering

    def current_filter(self) -> OrderFilter:
        status = self.status_filter.currentData()
        return OrderFilter(
            text=self.search.text().strip(),
            statuses=(OrderStatus(status),) if status else (),
            channel=self.channel_filter.currentData() or None,
            payment_state=self.payment_filter.currentData() or None,
            placed_from=self._date(self.date_from),
            placed_to=self._date(self.date_to),
        )

    @staticmethod
    def _date(edit: QDateEdit) -> dt.date | None:
        value = edit.date()
        return None if value == _NO_DATE else dt.date(value.year(), value.month(), value.day())

    def _apply_filter(self, *_args: object) -> None:
        self.model.set_query(self.current_filter())

    def _fill_options(self, options: FilterOptions) -> None:
        current = self.channel_filter.currentData()
        self.channel_filter.blockSignals(True)
        while self.channel_filter.count() > 1:
            self.channel_filter.removeItem(1)
        for channel in options.channels:
            self.channel_filter.addItem(channel, channel)
        index = self.channel_filter.findData(current)
        self.channel_filter.setCurrentIndex(max(index, 0))
        self.channel_filter.blockSignals(False)

    def _load_options(self) -> None:
        self.model.first_page_ready.disconnect(self._load_options)
        self._tasks.run(_load_options, self._factory, on_done=self._fill_options, owner=self)

    def _on_scrolled(self) -> None:
        self._last_scrolled = time.monotonic()

    def _auto_refresh(self) -> None:
        # Not under the user's hands: re-reading every id while they scroll competes with
        # painting, and the next round (or F5) brings the news just the same.
        scrolling = time.monotonic() - self._last_scrolled < SCROLL_QUIET_S
        if not self.model.is_loading and self.isVisible() and not scrolling:
            self.model.refresh()

    def _on_query_finished(self, total: int) -> None:
        self.count_label.setText(tr("orders.count", count=format_number(total)))
        if self._selected_id is None:
            return
        row = self.model.row_of(self._selected_id)
        if row is None:
            return
        self.table.selectionModel().blockSignals(True)
        self.table.selectRow(row)
        self.table.selectionModel().blockSignals(False)

    def _on_load_failed(self, message: str) -> None:
        self.count_label.setText(message)

    # ------------------------------------------------------------------ detail

    def select_order(self, order_id: int) -> bool:
        """Select the row of `order_id` (if the current filter matches it)."""
        row = self.model.row_of(order_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        order_id = self.model.id_at(rows[0].row()) if rows else None
        self._selected_id = order_id
        if order_id is None:
            self.detail.clear()
            return
        self._load_detail(order_id)

    def _load_detail(self, order_id: int) -> None:
        if self._detail_handle is not None:
            self._detail_handle.cancel()
        if self.detail.order_id != order_id:
            self.detail.show_loading()
        self._detail_handle = self._tasks.run(
            _load_detail,
            self._factory,
            order_id,
            on_done=self._show_detail,
            on_error=self._detail_failed,
            owner=self,
        )

    def _show_detail(self, loaded: tuple[OrderDetail | None, list[TimelineEntry]]) -> None:
        detail, timeline = loaded
        self.detail.show_order(detail, timeline)

    def _detail_failed(self, error: TaskError) -> None:
        self.detail.clear(error.message)
