"""The Catalog page: every variant with prices, stock per location and publish state.

Search covers SKU, EAN and names. A barcode scanner types the code and presses Enter: the
search field sends at once on Enter, the page looks the code up as an exact SKU or EAN off the
GUI thread, and selects that variant as soon as the list holds it. All reads run in the
TaskRunner on a reader engine (SQLite readers never wait for the sync writing).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_catalog
from westgear_desk.db.enums import PriceListKind
from westgear_desk.db.queries_catalog import CatalogQuery, CatalogRow, LocationView, PublishState
from westgear_desk.db.session import make_session_factory, reader_engine
from westgear_desk.ui.formatting import format_money, format_number, format_quantity
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.catalog_model import CatalogModel, display_name, state_text
from westgear_desk.ui.models.health_models import fit_columns_once
from westgear_desk.ui.widgets.error_banner import ErrorBanner
from westgear_desk.ui.widgets.search_field import SearchField

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskError, TaskRunner

register(
    {
        "catalog.search": (
            "Sök artikelnr, EAN eller namn – eller skanna en streckkod… (Ctrl+F)",
            "Search SKU, EAN or name – or scan a barcode… (Ctrl+F)",
        ),
        "catalog.filter.state": ("Alla lägen", "All states"),
        "catalog.count": ("{count} varianter", "{count} variants"),
        "catalog.not_found": ("Ingen variant har koden {code}.", "No variant has the code {code}."),
        "catalog.detail.empty": ("Välj en variant.", "Select a variant."),
        "catalog.detail.prices": ("Priser", "Prices"),
        "catalog.detail.stock": ("Lager per plats", "Stock per location"),
        "catalog.detail.reserved": ("reserverat", "reserved"),
        "catalog.detail.available": ("tillgängligt", "available"),
    }
)

AUTO_REFRESH_MS = 15_000


def _load_locations(factory: sessionmaker[Session]) -> list[LocationView]:
    with factory() as session:
        return queries_catalog.stock_locations(session)


def _find(factory: sessionmaker[Session], code: str) -> int | None:
    with factory() as session:
        return queries_catalog.find_variant(session, code)


def looks_scanned(text: str) -> bool:
    """An EAN/GTIN-like code (8 to 14 digits), as a barcode scanner types it."""
    return text.isdigit() and 8 <= len(text) <= 14


class CatalogPage(QWidget):
    """Search, state filter, the lazy variant table and a detail pane for the selected one."""

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
        self._factory = make_session_factory(reader_engine(services.engine))
        self.model: CatalogModel | None = None
        self._query = CatalogQuery()
        self._scan_generation = 0
        self._jump_to: tuple[int, int] | None = None  # (generation, variant id)
        self._keep_selected: int | None = None
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(auto_refresh_ms)
        self._timer.timeout.connect(self._auto_refresh)
        if auto_refresh_ms > 0:
            self._timer.start()
        self.tasks.run(
            _load_locations, self._factory, on_done=self._locations_ready,
            on_error=self._show_error, owner=self,
        )  # fmt: skip

    @property
    def title(self) -> str:
        return tr("page.catalog")

    def _build(self) -> None:
        self.search = SearchField(self)
        self.search.setPlaceholderText(tr("catalog.search"))
        self.search.search_requested.connect(self._search)
        self.state_filter = QComboBox(self)
        self.state_filter.setObjectName("state_filter")
        self.state_filter.addItem(tr("catalog.filter.state"), None)
        for state in PublishState:
            self.state_filter.addItem(state_text(state), state.value)
        self.state_filter.currentIndexChanged.connect(lambda _i: self._apply())
        self.count_label = QLabel(self)
        self.count_label.setObjectName("count")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.state_filter, 1)
        bar.addWidget(self.count_label)
        self.banner = ErrorBanner(self)
        self.table = QTableView(self)
        self.table.setObjectName("catalog_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.detail = QLabel(tr("catalog.detail.empty"), self)
        self.detail.setObjectName("catalog_detail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ page protocol

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        if self.model is not None:
            selected = self.selected_variant()
            self._keep_selected = selected.variant_id if selected is not None else None
            self.model.refresh()

    def _auto_refresh(self) -> None:
        """Live stock: reload while visible and idle, keeping the selected variant selected."""
        if self.model is not None and not self.model.is_loading and self.isVisible():
            self.refresh()

    def shutdown(self) -> None:
        self._timer.stop()
        if self.model is not None:
            self.model.cancel()

    # ------------------------------------------------------------------ loading

    def _locations_ready(self, locations: list[LocationView]) -> None:
        self.model = CatalogModel(self.tasks, self._factory, locations, parent=self)
        self.model.query_finished.connect(self._query_finished)
        self.model.load_failed.connect(self.banner.show_message)
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show(cur.row()))
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.model.dataChanged.connect(lambda *_a: self._show(self.table.currentIndex().row()))
        self.model.set_query(self._query)

    def _search(self, text: str) -> None:
        state = self.state_filter.currentData()
        self._query = CatalogQuery(search=text, state=PublishState(state) if state else None)
        self._scan_generation += 1
        self._jump_to = None
        if text:
            generation = self._scan_generation
            self.tasks.run(
                _find, self._factory, text, owner=self, on_error=self._show_error,
                on_done=lambda found: self._found(generation, text, found),
            )  # fmt: skip
        if self.model is not None:
            self.model.set_query(self._query)

    def _apply(self) -> None:
        self._search(self.search.text().strip())

    def _found(self, generation: int, code: str, variant_id: int | None) -> None:
        if generation != self._scan_generation:
            return
        if variant_id is None:
            if looks_scanned(code):  # a barcode that matches no SKU or EAN: say so plainly
                self.banner.show_message(tr("catalog.not_found", code=code))
            return
        self._jump_to = (generation, variant_id)
        self._try_jump()

    def _query_finished(self, total: int) -> None:
        self.count_label.setText(tr("catalog.count", count=format_number(total)))
        fit_columns_once(self.table)
        if self._keep_selected is not None and self._jump_to is None:
            self._jump_to = (self._scan_generation, self._keep_selected)
            self._keep_selected = None
        self._try_jump()

    def _try_jump(self) -> None:
        """Select the scanned variant once the list for the same search has arrived."""
        model = self.model
        if model is None or self._jump_to is None or model.is_loading or model.query != self._query:
            return
        row = model.row_of(self._jump_to[1])
        self._jump_to = None
        if row is None:
            return
        index = model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def selected_variant(self) -> CatalogRow | None:
        if self.model is None or not self.table.currentIndex().isValid():
            return None
        return self.model.row_at(self.table.currentIndex().row())

    # ------------------------------------------------------------------ detail pane

    def _show(self, row_no: int) -> None:
        row = self.model.row_at(row_no) if self.model is not None and row_no >= 0 else None
        self.detail.setText(tr("catalog.detail.empty") if row is None else _detail_html(row))

    def _show_error(self, error: TaskError) -> None:
        self.banner.show_message(error.message)


def _detail_html(row: CatalogRow) -> str:
    parts = [
        f"<h3>{escape(display_name(row))}</h3>",
        f"<p>{escape(row.sku)} · EAN {escape(row.ean or '–')} · {escape(row.brand or '')}</p>",
        f"<p><b>{escape(state_text(row.state))}</b></p>",
    ]
    if row.attributes:
        attrs = ", ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in row.attributes.items())
        parts.append(f"<p>{attrs}</p>")
    parts.append(f"<h4>{tr('catalog.detail.prices')}</h4><ul>")
    for kind in PriceListKind:
        price = row.prices.get(kind)
        if price is not None:
            amount = escape(format_money(price.amount, price.currency))
            parts.append(f"<li>{escape(price.price_list)}: {amount}</li>")
    parts.append(f"</ul><h4>{tr('catalog.detail.stock')}</h4><ul>")
    for code, level in sorted(row.stock.items()):
        parts.append(
            f"<li>{escape(code)}: {format_quantity(level.quantity)} "
            f"({format_quantity(level.reserved)} {tr('catalog.detail.reserved')}, "
            f"{format_quantity(level.available)} {tr('catalog.detail.available')})</li>"
        )
    parts.append("</ul>")
    return "".join(parts)
