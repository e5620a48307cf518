"""The Quarantine page: reasons in plain words, highlighted payload, audited admin actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import seed_quarantine
from westgear_desk.app import AppServices
from westgear_desk.db.enums import QuarantineStatus
from westgear_desk.db.models import AuditEntry, QuarantineEntry
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import quarantine as service
from westgear_desk.services.auth import CurrentUser
from westgear_desk.services.quarantine import QuarantineRef, RefetchRegistry
from westgear_desk.ui.dialogs.reason_dialog import ReasonDialog
from westgear_desk.ui.i18n import set_language
from westgear_desk.ui.pages.quarantine_page import QuarantinePage
from westgear_desk.ui.tasks import TaskRunner

Screenshot = Callable[[QWidget, str], Path]
PageFactory = Callable[[CurrentUser], QuarantinePage]


@pytest.fixture
def entries(ui_factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(ui_factory) as session:
        return seed_quarantine(session)


@pytest.fixture
def open_page(
    qtbot: QtBot, ui_services: AppServices, tasks: TaskRunner, entries: list[int]
) -> PageFactory:
    def make(user: CurrentUser) -> QuarantinePage:
        page = QuarantinePage(ui_services, user, tasks)
        qtbot.addWidget(page)
        page.resize(1400, 700)
        page.show()
        qtbot.waitUntil(lambda: page.model.loaded_once and page.model.rowCount() == 3)
        return page

    return make


@pytest.fixture
def reasons_given(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the reason dialog's entry point: it answers and records the titles asked."""
    asked: list[str] = []

    def ask(_parent: object, title: str, _prompt: str = "") -> str:
        asked.append(title)
        return "Kontrollerat mot leverantörens prislista"

    monkeypatch.setattr(ReasonDialog, "ask", ask)
    return asked


def _select(page: QuarantinePage, *rows: int) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def _status(factory: sessionmaker[Session], entry_id: int) -> QuarantineStatus:
    with factory() as session:
        entry = session.get(QuarantineEntry, entry_id)
        assert entry is not None
        return entry.status


def _audit(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_shows_reasons_in_plain_language_and_highlights_the_payload(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser, screenshot: Screenshot
) -> None:
    page = open_page(admin_user)
    qtbot.waitUntil(lambda: "Priset är negativt" in str(page.model.index(0, 3).data()))
    assert "EAN saknas" in str(page.model.index(0, 3).data())
    _select(page, 0)
    qtbot.waitUntil(lambda: page.reasons.count() == 2)
    assert page.reasons.item(0).text() == "Priset är negativt — fält prices.0.amount"
    assert page.payload.highlighted_lines() == ['      "amount": -10,', '      "ean": null']
    assert "Först sedd" in page.detail_header.text()
    screenshot(page, "quarantine")


def test_reasons_follow_the_ui_language(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser
) -> None:
    set_language("en")
    page = open_page(admin_user)
    qtbot.waitUntil(lambda: "The price is negative" in str(page.model.index(0, 3).data()))


def test_qtmodeltester(
    qtmodeltester: ModelTester, open_page: PageFactory, admin_user: CurrentUser
) -> None:
    qtmodeltester.check(open_page(admin_user).model)


def test_admin_releases_from_the_ui_and_it_is_audited(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    entries: list[int],
    reasons_given: list[str],
) -> None:
    page = open_page(admin_user)
    _select(page, 0)
    assert page.release_button.isEnabled()
    page.release_button.click()

    qtbot.waitUntil(lambda: _status(ui_factory, entries[0]) == QuarantineStatus.RELEASED)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)  # it left the open list
    [row] = _audit(ui_factory)
    assert (row.username, row.action, row.target_id) == ("admin", "quarantine.release",
                                                         str(entries[0]))  # fmt: skip
    assert row.reason == "Kontrollerat mot leverantörens prislista"
    assert reasons_given == ["Frisläpp 1 post(er)"]


def test_bulk_ignore_on_a_selection(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    entries: list[int],
    reasons_given: list[str],
) -> None:
    page = open_page(admin_user)
    _select(page, 0, 1, 2)
    with qtbot.waitSignal(page.model.query_finished, timeout=10_000):
        page.ignore_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert {_status(ui_factory, i) for i in entries} == {QuarantineStatus.IGNORED}
    assert [a.action for a in _audit(ui_factory)] == ["quarantine.ignore"] * 3


def test_override_the_selected_reason(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    reasons_given: list[str],
) -> None:
    page = open_page(admin_user)
    _select(page, 0)
    qtbot.waitUntil(lambda: page.reasons.count() == 2)
    page.reasons.setCurrentRow(1)
    page.override_button.click()
    qtbot.waitUntil(lambda: len(_audit(ui_factory)) == 1)
    assert _audit(ui_factory)[0].details["code"] == "missing_ean"
    qtbot.waitUntil(lambda: "(godtagen)" in page.reasons.item(1).text())


def test_warehouse_user_sees_but_cannot_release(
    qtbot: QtBot,
    open_page: PageFactory,
    warehouse_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    entries: list[int],
) -> None:
    page = open_page(warehouse_user)
    _select(page, 0)
    qtbot.waitUntil(lambda: page.reasons.count() == 2)
    for button in (page.release_button, page.ignore_button, page.override_button):
        assert not button.isEnabled()
    assert page.release_button.toolTip() == "Endast administratörer."
    with pytest.raises(PermissionDeniedError):
        service.release(ui_factory, warehouse_user, entries[0], "ändå")
    assert _status(ui_factory, entries[0]) == QuarantineStatus.OPEN


def test_refetch_calls_the_registered_source(
    qtbot: QtBot,
    open_page: PageFactory,
    sales_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    reasons_given: list[str],
) -> None:
    page = open_page(sales_user)
    assert not page.refetch_button.isEnabled()  # no source registers re-fetch here
    fetched: list[QuarantineRef] = []
    registry = RefetchRegistry()
    registry.register("sharespine", lambda ref: fetched.append(ref) or "fortfarande trasig")
    page._refetch_ready(registry)
    _select(page, 1)
    assert page.refetch_button.isEnabled()
    assert not page.release_button.isEnabled()
    page.refetch_button.click()
    qtbot.waitUntil(lambda: len(_audit(ui_factory)) == 1)
    assert [r.external_id for r in fetched] == ["Q-2"]
    assert _audit(ui_factory)[0].details["outcome"] == "fortfarande trasig"


def test_new_records_appear_without_pressing_refresh(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    entries: list[int],
) -> None:
    page = QuarantinePage(ui_services, admin_user, tasks, auto_refresh_ms=100)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    with unit_of_work(ui_services.session_factory) as session:
        seed_more = QuarantineEntry(
            source_system="sharespine", record_type="variant", external_id="NEW-1",
            reasons=[{"code": "missing_ean", "field": "gtin", "message_sv": "EAN saknas",
                      "message_en": "The EAN is missing"}],
            raw_payload={"gtin": None},
        )  # fmt: skip
        session.add(seed_more)
    qtbot.waitUntil(lambda: page.model.rowCount() == 4)
    assert page.count_label.text() == "4 poster"
    page.shutdown()


def test_records_the_sharespine_sync_quarantined_show_their_broken_fields(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    sharespine_sandbox: Any,
) -> None:
    """End to end: a full refresh from the Sharespine sandbox, then the page shows its result."""
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
        counts = full_refresh(CatalogSync(ui_services.session_factory, client), None)
    assert counts.quarantined > 0

    page = QuarantinePage(ui_services, admin_user, tasks, auto_refresh_ms=0)
    qtbot.addWidget(page)
    page.resize(1400, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == counts.quarantined)
    with_fields = []
    for row in range(page.model.rowCount()):
        qtbot.waitUntil(lambda r=row: page.model.row_at(r) is not None)
        entry = page.model.row_at(row)
        assert entry is not None
        assert entry.reasons, entry.external_id
        if any(r.field for r in entry.open_reasons):
            with_fields.append(row)
    assert with_fields  # the sandbox's broken products name the fields they broke
    _select(page, with_fields[0])
    qtbot.waitUntil(lambda: page.reasons.count() > 0)
    qtbot.waitUntil(lambda: bool(page.payload.highlighted_lines()))
    entry = page.model.row_at(with_fields[0])
    assert entry is not None
    leaf = next(r.field for r in entry.open_reasons if r.field).split(".")[-1]
    highlighted = "\n".join(page.payload.highlighted_lines())
    assert leaf in highlighted or leaf.isdigit()


def test_released_from_the_page_the_next_sync_imports_the_record(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    sharespine_sandbox: Any,
    reasons_given: list[str],
) -> None:
    """Release in the UI, then the Sharespine flow accepts the overridden reasons."""
    from westgear_desk.db.models import Product
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
    factory = ui_services.session_factory
    with client:
        sync = CatalogSync(factory, client)
        full_refresh(sync, None)
        page = QuarantinePage(ui_services, admin_user, tasks, auto_refresh_ms=0)
        qtbot.addWidget(page)
        page.show()
        qtbot.waitUntil(lambda: page.model.rowCount() > 0)
        rows = [page.model.row_at(r) for r in range(page.model.rowCount())]
        released = {row.external_id for row in rows if row is not None}
        assert len(released) == len(rows)
        page.table.selectAll()
        page.release_button.click()
        qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
        full_refresh(sync, None)

    with factory() as session:
        imported = set(session.scalars(select(Product.external_id).where(
            Product.external_id.in_(released))))  # fmt: skip
    assert imported == released
