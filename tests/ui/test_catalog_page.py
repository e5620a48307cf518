"""The Catalog page: seeded variants with prices, stock and state; search; barcode scanning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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


def test_sorting_by_header_runs_in_sql(qtbot: QtBot, page: CatalogPage) -> None:
    page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: _cells(page, "sku")[:1] == ["TNT-KEB-2"])
