"""The Catalog page: seeded variants with prices, stock and state; search; barcode scanning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import CatalogIds, seed_catalog
from westgear_desk.app import AppServices
from westgear_desk.db.queries_catalog import PublishState
from westgear_desk.db.session import unit_of_work
from westgear_desk.services.auth import CurrentUser
from westgear_desk.ui.pages.catalog_page import CatalogPage
from westgear_desk.ui.tasks import TaskRunner

Screenshot = Callable[[QWidget, str], Path]


@pytest.fixture
def catalog(ui_factory: sessionmaker[Session]) -> CatalogIds:
    with unit_of_work(ui_factory) as session:
        return seed_catalog(session)


@pytest.fixture
def page(
    qtbot: QtBot,
    ui_services: AppServices,
    warehouse_user: CurrentUser,
    tasks: TaskRunner,
    catalog: CatalogIds,
) -> CatalogPage:
    widget = CatalogPage(ui_services, warehouse_user, tasks)
    qtbot.addWidget(widget)
    widget.resize(1400, 600)
    widget.show()
    qtbot.waitUntil(lambda: widget.model is not None and widget.model.loaded_once)
    return widget


def _cells(page: CatalogPage, column: str) -> list[str]:
    assert page.model is not None
    keys = [c.key for c in page.model.columns()]
    col = keys.index(column)
    return [str(page.model.index(r, col).data()) for r in range(page.model.rowCount())]


def test_shows_seeded_variants_with_prices_stock_and_state(
    qtbot: QtBot, page: CatalogPage, screenshot: Screenshot
) -> None:
    assert page.model is not None
    qtbot.waitUntil(lambda: "JKT-ABI-M" in _cells(page, "sku"))
    assert _cells(page, "sku") == ["JKT-ABI-L", "JKT-ABI-M", "KAY-SAL-1", "TNT-KEB-2"]
    row = _cells(page, "sku").index("JKT-ABI-M")
    assert _cells(page, "list")[row] == "2 499,00 kr"
    assert _cells(page, "campaign")[row] == "1 999,00 kr"
    assert _cells(page, "stock:HUV")[row] == "12"
    assert _cells(page, "stock_total")[row] == "15"
    assert _cells(page, "state") == ["publicerad", "publicerad", "i karantän", "inaktiv"]
    assert page.count_label.text() == "4 varianter"
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: "Lager per plats" in page.detail.text())
    screenshot(page, "catalog")


def test_qtmodeltester(qtmodeltester: ModelTester, page: CatalogPage) -> None:
    qtmodeltester.check(page.model)


def test_search_by_name_and_state_filter(qtbot: QtBot, page: CatalogPage) -> None:
    page.search.setText("abisko")
    page.search.flush()
    qtbot.waitUntil(lambda: _cells(page, "sku") == ["JKT-ABI-L", "JKT-ABI-M"])
    page.search.clear()
    page.search.flush()
    page.state_filter.setCurrentIndex(page.state_filter.findData(PublishState.QUARANTINED.value))
    qtbot.waitUntil(lambda: _cells(page, "sku") == ["KAY-SAL-1"])


def test_barcode_scanner_jumps_to_the_variant(
    qtbot: QtBot, page: CatalogPage, catalog: CatalogIds
) -> None:
    page.focus_search()
    qtbot.keyClicks(page.search, catalog.ean)  # a scanner types fast …
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # … and ends with Enter

    qtbot.waitUntil(lambda: page.selected_variant() is not None)
    selected = page.selected_variant()
    assert selected is not None
    assert selected.variant_id == catalog.published
    qtbot.waitUntil(lambda: "Lager per plats" in page.detail.text())
    assert "HUV: 12 (2 reserverat, 10 tillgängligt)" in page.detail.text()


def test_an_unknown_barcode_is_reported(qtbot: QtBot, page: CatalogPage) -> None:
    page.focus_search()
    qtbot.keyClicks(page.search, "7350000099999")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.banner.message() == "Ingen variant har koden 7350000099999.")
    assert page.selected_variant() is None


def test_sorting_by_header_runs_in_sql(qtbot: QtBot, page: CatalogPage) -> None:
    page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: _cells(page, "sku")[:1] == ["TNT-KEB-2"])


def test_live_stock_changes_appear_and_the_selection_stays(
    qtbot: QtBot,
    ui_services: AppServices,
    warehouse_user: CurrentUser,
    tasks: TaskRunner,
    catalog: CatalogIds,
) -> None:
    from decimal import Decimal

    from sqlalchemy import update

    from westgear_desk.db.models import StockLevel

    page = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=100)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model is not None and page.model.rowCount() == 4)
    page.table.selectRow(_cells(page, "sku").index("JKT-ABI-M"))
    qtbot.waitUntil(lambda: "HUV: 12 " in page.detail.text())

    with unit_of_work(ui_services.session_factory) as session:
        session.execute(
            update(StockLevel)
            .where(StockLevel.variant_id == catalog.published, StockLevel.reserved == 2)
            .values(quantity=Decimal(7))
        )

    qtbot.waitUntil(lambda: "HUV: 7 " in page.detail.text())
    selected = page.selected_variant()
    assert selected is not None
    assert selected.variant_id == catalog.published
    page.shutdown()


def test_many_variants_are_paged_lazily(
    qtbot: QtBot, ui_services: AppServices, warehouse_user: CurrentUser, tasks: TaskRunner
) -> None:
    from westgear_desk.db.enums import SourceSystem
    from westgear_desk.db.models import Product, Variant

    with unit_of_work(ui_services.session_factory) as session:
        product = Product(source_system=SourceSystem.SHARESPINE, external_id="P-MANY", name="Rep")
        session.add(product)
        session.add_all(
            Variant(product=product, source_system=SourceSystem.SHARESPINE,
                    external_id=f"V-{n}", sku=f"ROPE-{n:04d}", attributes={})
            for n in range(450)
        )  # fmt: skip
    page = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model is not None and page.model.loaded_once)
    assert page.model is not None
    assert page.model.total() == 450
    assert page.model.rowCount() == 200  # one page exposed, the rest on demand
    model = page.model

    def scrolled_to_the_end() -> bool:
        page.table.scrollToBottom()  # the view asks for the next page as the user scrolls
        return model.rowCount() == 450

    qtbot.waitUntil(scrolled_to_the_end)
    qtbot.waitUntil(lambda: _cells(page, "sku")[-1] == "ROPE-0449")


def test_catalog_synced_from_the_sharespine_sandbox(
    qtbot: QtBot,
    ui_services: AppServices,
    warehouse_user: CurrentUser,
    tasks: TaskRunner,
    sharespine_sandbox: Any,
) -> None:
    """End to end: a full refresh from the sandbox, then the page lists what landed."""
    from westgear_desk.integrations.sharespine.client import (
        SharespineClient,
        SharespineCredentials,
    )
    from westgear_desk.sync.sharespine.catalog import full_refresh
    from westgear_desk.sync.sharespine.catalog_pages import CatalogSync

    c = sharespine_sandbox.credentials
    client = SharespineClient(
        sharespine_sandbox.url,
        SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"]),
    )
    with client:
        full_refresh(CatalogSync(ui_services.session_factory, client), None)

    page = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model is not None and page.model.loaded_once)
    assert page.model is not None
    assert page.model.total() > 0
    qtbot.waitUntil(lambda: "Laddar…" not in _cells(page, "sku"))
    assert any(cell.endswith("kr") for cell in _cells(page, "list"))
    assert "publicerad" in _cells(page, "state")
    stock_columns = [c.key for c in page.model.columns() if c.key.startswith("stock:")]
    assert stock_columns  # one column per stock location the sync created
    first_ean = next(
        (
            row.ean
            for r in range(page.model.rowCount())
            if (row := page.model.row_at(r)) and row.ean
        ),
        None,
    )
    assert first_ean is not None
    page.search.setText(first_ean)
    page.search.flush()
    qtbot.waitUntil(lambda: (sel := page.selected_variant()) is not None and sel.ean == first_ean)


def test_a_slow_query_never_blocks_the_gui_thread(
    qtbot: QtBot,
    ui_services: AppServices,
    warehouse_user: CurrentUser,
    tasks: TaskRunner,
    catalog: CatalogIds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from PySide6.QtCore import QTimer

    from westgear_desk.db import queries_catalog

    release = threading.Event()
    original = queries_catalog.variant_ids

    def slow_ids(session: Session, query: object) -> list[int]:
        assert release.wait(10)  # the database "takes its time"
        return original(session, query)  # type: ignore[arg-type]

    monkeypatch.setattr(queries_catalog, "variant_ids", slow_ids)
    page = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model is not None and page.model.is_loading)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 10)  # the event loop keeps turning meanwhile
    assert page.model is not None
    assert page.model.is_loading
    release.set()
    qtbot.waitUntil(lambda: page.model is not None and page.model.rowCount() == 4)
    timer.stop()


def test_a_saved_column_layout_survives_the_late_model(
    qtbot: QtBot,
    ui_services: AppServices,
    warehouse_user: CurrentUser,
    tasks: TaskRunner,
    catalog: CatalogIds,
) -> None:
    """The window restores header states when a page is built, before its model exists."""
    first = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(lambda: first.model is not None and first.model.rowCount() == 4)
    first.table.horizontalHeader().resizeSection(2, 333)
    state = first.table.horizontalHeader().saveState()

    second = CatalogPage(ui_services, warehouse_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(second)
    assert second.table.horizontalHeader().restoreState(state)
    second.show()
    qtbot.waitUntil(lambda: second.model is not None and second.model.rowCount() == 4)
    assert second.table.horizontalHeader().sectionSize(2) == 333
