"""The Orders page over real seeded databases: search, filters, detail, timeline, 100,000 orders."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QSettings, Qt, QTimer
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.ui.order_seed import seed_orders
from westgear_desk.app import AppServices
from westgear_desk.db.enums import JobAttemptOutcome, JobStatus, OrderStatus
from westgear_desk.db.models import (
    ApiCall,
    AuditEntry,
    InboxEvent,
    Job,
    JobAttempt,
    Order,
    OrderLine,
)
from westgear_desk.db.queries_orders import OrderFilter
from westgear_desk.db.session import unit_of_work
from westgear_desk.services.auth import CurrentUser
from westgear_desk.ui.main_window import MainWindow
from westgear_desk.ui.pages.orders_page import OrdersPage
from westgear_desk.ui.tasks import TaskRunner

Shot = Callable[[QWidget, str], Path]


def _page(
    qtbot: QtBot, services: AppServices, user: CurrentUser, tasks: TaskRunner, **options: int
) -> OrdersPage:
    page = OrdersPage(services, user, tasks, **options)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    qtbot.waitUntil(lambda: page.model.loaded_once and not page.model.is_loading)
    return page


def _place_new_order(services: AppServices, suffix: str) -> None:
    """A new order, placed now (newest first: it becomes the list's first row)."""
    with unit_of_work(services.session_factory) as session:
        session.add(
            Order(
                order_number=f"WG-NEW-{suffix}",
                source_system="sharespine",
                remote_id=f"new-{suffix}",
                status=OrderStatus.NEW,
                currency="SEK",
                total_excl_vat=Decimal("80.00"),
                total_vat=Decimal("20.00"),
                total_incl_vat=Decimal("100.00"),
                placed_at=dt.datetime.now(dt.UTC),
            )
        )


def _loaded(page: OrdersPage) -> Callable[[], bool]:
    return lambda: not page.model.is_loading


def _visible_numbers(page: OrdersPage) -> list[str]:
    rows = [page.model.row_at(r) for r in range(page.model.rowCount())]
    return [row.order_number for row in rows if row is not None]


@pytest.fixture
def seeded(ui_services: AppServices) -> AppServices:
    seed_orders(ui_services.engine, 600, customers=50)
    return ui_services


def test_orders_show_newest_first_with_swedish_money(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qtmodeltester,
    screenshot: Shot,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    model = page.model
    assert model.total() == 600
    assert model.rowCount() == 200  # one page exposed; the rest on fetchMore
    first = model.row_at(0)
    assert first is not None
    assert first.order_number == "WG-0000600"
    total_text = model.index(0, 7).data()
    assert total_text.endswith(" kr")
    assert "," in total_text
    assert page.count_label.text() == "600 ordrar"
    model.fetchMore(model.index(-1, -1))
    assert model.rowCount() == 400
    qtmodeltester.check(model)
    screenshot(page, "orders-page")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("WG-0000123", {"WG-0000123"}), ("kund7@example.se", None), ("KAYAK-SEA-3", None)],
)
def test_search_by_number_email_and_sku(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    text: str,
    expected: set[str] | None,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    page.search.setText(text)
    page.search.flush()
    qtbot.waitUntil(lambda: page.model.query.text == text and not page.model.is_loading)
    numbers = set(_visible_numbers(page))
    with seeded.session_factory() as session:
        if text.startswith("kund"):
            expected = set(session.scalars(select(Order.order_number).where(Order.email == text)))
        elif expected is None:
            expected = set(
                session.scalars(
                    select(Order.order_number).join(OrderLine).where(OrderLine.sku == text)
                )
            )
    assert expected
    assert numbers == expected


def test_search_by_customer_name_and_status_filter(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    with seeded.session_factory() as session:
        order = session.get(Order, 42)
        assert order is not None
        assert order.customer is not None
        name, status = order.customer.name, order.status
    page.status_filter.setCurrentIndex(page.status_filter.findData(status.value))
    page.search.setText(name.split()[1])
    page.search.flush()
    qtbot.waitUntil(lambda: page.model.query.text != "" and not page.model.is_loading)
    rows = [page.model.row_at(r) for r in range(page.model.rowCount())]
    assert rows
    assert all(r is not None and r.status == status for r in rows)
    last = name.split()[1].lower()
    assert all(r is not None and last in r.customer_name.lower() for r in rows)
    assert "WG-0000042" in {r.order_number for r in rows if r}


def test_typing_is_debounced_and_stale_results_are_dropped(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    started: list[int] = []
    page.model.query_started.connect(lambda: started.append(1))
    for char in "WG-0000599":
        qtbot.keyClick(page.search, char)
    assert started == []  # nothing ran per keystroke
    qtbot.waitUntil(lambda: page.model.query.text == "WG-0000599" and not page.model.is_loading)
    assert len(started) == 1
    # Two queries in a row: only the later one may land.
    finished: list[int] = []
    page.model.query_finished.connect(finished.append)
    page.model.set_query(OrderFilter(text="WG-00001"))
    page.model.set_query(OrderFilter(text="WG-0000598"))
    qtbot.waitUntil(lambda: bool(finished) and not page.model.is_loading)
    tasks.wait_for_done()
    qtbot.wait(50)  # let any queued stale delivery arrive (it must be dropped)
    assert finished == [1]
    assert _visible_numbers(page) == ["WG-0000598"]


def test_sort_by_total_runs_in_sql(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    page.table.sortByColumn(7, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: page.model.sort_spec.key == "total" and not page.model.is_loading)
    with seeded.session_factory() as session:
        cheapest = session.scalars(
            select(Order.order_number).order_by(Order.total_incl_vat, Order.id).limit(3)
        ).all()
    assert _visible_numbers(page)[:3] == cheapest


def _timeline_records(services: AppServices) -> None:
    base = dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC)
    with unit_of_work(services.session_factory) as session:
        order = session.get(Order, 5)
        assert order is not None
        order.billing_address = {
            "name": "Anna Berg",
            "street": "Storgatan 1",
            "postal_code": "411 01",
            "city": "Göteborg",
            "country": "SE",
        }
        cid = order.correlation_id
        session.add(
            InboxEvent(
                source="sharespine",
                event_type="order.created",
                dedupe_key="e1",
                raw_body=b"{}",
                signature_ok=True,
                correlation_id=cid,
                status="processed",
                received_at=base,
            )
        )
        job = Job(
            kind="klarna.capture",
            idempotency_key="cap-5",
            correlation_id=cid,
            status=JobStatus.DONE,
            attempts=2,
            created_at=base + dt.timedelta(seconds=30),
        )
        session.add(job)
        session.flush()
        session.add(
            JobAttempt(
                job_id=job.id,
                attempt_no=1,
                desk="d",
                outcome=JobAttemptOutcome.RETRY,
                started_at=base + dt.timedelta(minutes=1),
                finished_at=base + dt.timedelta(minutes=1),
                error_class="ServerError",
                message="503 from Klarna",
                http_status=503,
                request_id="req-1",
            )
        )
        session.add(
            JobAttempt(
                job_id=job.id,
                attempt_no=2,
                desk="d",
                outcome=JobAttemptOutcome.SUCCEEDED,
                started_at=base + dt.timedelta(minutes=6),
                finished_at=base + dt.timedelta(minutes=6),
            )
        )
        session.add(
            ApiCall(
                at=base + dt.timedelta(minutes=6, seconds=1),
                system="klarna",
                method="POST",
                endpoint="/ordermanagement/v1/orders/{id}/captures",
                status_code=201,
                latency_ms=120,
                correlation_id=cid,
            )
        )
        session.add(
            AuditEntry(
                at=base + dt.timedelta(minutes=9),
                username="admin",
                action="job.retry",
                target_type="order",
                target_id="5",
                reason="kund ringde",
            )
        )


def test_detail_shows_lines_customer_address_payment_and_timeline(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qtmodeltester,
    screenshot: Shot,
):
    _timeline_records(seeded)
    page = _page(qtbot, seeded, admin_user, tasks)
    assert page.select_order(5)
    qtbot.waitUntil(lambda: page.detail.order_id == 5)
    detail = page.detail
    assert "WG-0000005" in detail.header.text()
    assert "Storgatan 1" in detail.billing.text()
    assert "411 01 Göteborg" in detail.billing.text()
    assert detail.lines.rowCount() >= 1
    assert detail.lines.item(0, 4).text().endswith(" kr")
    assert "Klarna" in detail.payment.text() or "Ingen betalning" in detail.payment.text()
    timeline = detail.timeline.timeline
    qtmodeltester.check(timeline)
    kinds = [timeline.entry(r).kind.value for r in range(timeline.rowCount())]
    # The seeded order was stored "now" (its arrival is newest); the rest in their order.
    assert kinds == ["sync", "audit", "api_call", "attempt", "attempt", "job", "inbox"]
    times = [timeline.entry(r).at for r in range(timeline.rowCount())]
    assert times == sorted(times, reverse=True)
    texts = [timeline.index(r, 4).data() for r in range(timeline.rowCount())]
    assert any("HTTP 503" in t and "req-1" in t for t in texts)
    assert {timeline.index(r, 1).data() for r in range(timeline.rowCount())} >= {
        "sharespine",
        "klarna",
        "desk",
    }
    outcomes = {timeline.index(r, 3).data() for r in range(timeline.rowCount())}
    assert {"OK", "Varning"} <= outcomes
    screenshot(page, "order-detail")


def test_new_orders_appear_on_refresh_and_selection_is_kept(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
):
    page = _page(qtbot, seeded, admin_user, tasks)
    assert page.select_order(590)
    qtbot.waitUntil(lambda: page.detail.order_id == 590)
    _place_new_order(seeded, "1")
    page.refresh()
    qtbot.waitUntil(lambda: page.model.total() == 601 and not page.model.is_loading)
    assert _visible_numbers(page)[0] == "WG-NEW-1"
    selected = page.table.selectionModel().selectedRows()
    assert [page.model.id_at(i.row()) for i in selected] == [590]


def test_automatic_refresh_waits_while_the_list_is_scrolled(
    qtbot: QtBot,
    seeded: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
):
    from westgear_desk.ui.pages import orders_page

    monkeypatch.setattr(orders_page, "SCROLL_QUIET_S", 0.5)
    page = _page(qtbot, seeded, admin_user, tasks, auto_refresh_ms=100)
    bar = page.table.verticalScrollBar()
    bar.setValue(5)  # the user is scrolling when the new order arrives
    _place_new_order(seeded, "2")
    for step in range(8):  # and keeps scrolling for 0.8 s: no refresh under their hands
        bar.setValue(10 if step % 2 == 0 else 5)
        qtbot.wait(100)
        assert page.model.total() == 600
    qtbot.waitUntil(lambda: page.model.total() == 601, timeout=5000)  # once they stop
    assert _visible_numbers(page)[0] == "WG-NEW-2"


@pytest.mark.slow
def test_100k_orders_filter_without_blocking_the_gui_thread(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
):
    seed_orders(ui_services.engine, 100_000)
    page = _page(qtbot, ui_services, admin_user, tasks)
    assert page.model.total() == 100_000
    ticks: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    timer.start()
    # A search over customers, e-mail and SKUs with a sort on customer name: a full scan.
    page.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    page.search.setText("sjöberg")
    started = time.perf_counter()
    page.search.flush()
    assert page.model.is_loading  # the query runs in the background …
    qtbot.waitUntil(lambda: not page.model.is_loading, timeout=30_000)
    took_ms = (time.perf_counter() - started) * 1000
    timer.stop()
    during = [t for t in ticks if t <= took_ms]
    assert len(during) >= 3, f"event loop did not turn while the {took_ms:.0f} ms query ran"
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert max(gaps, default=0) < 200
    assert 0 < page.model.total() < 100_000
    first = page.model.row_at(0)
    assert first is not None
    assert "Sjöberg" in first.customer_name


def test_window_remembers_orders_columns_and_ctrl_f_focuses_search(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
    screenshot: Shot,
):
    seed_orders(ui_services.engine, 50, customers=10)
    window = MainWindow(ui_services, admin_user, tasks, qsettings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    page = window.pages["orders"]
    assert isinstance(page, OrdersPage)
    qtbot.waitUntil(lambda: page.model.loaded_once)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(page.search.hasFocus)
    page.table.setFocus()
    qtbot.waitUntil(lambda: not page.model.is_loading)
    with qtbot.waitSignal(page.model.query_finished):  # F5 refreshes the page in front
        qtbot.keyClick(page.table, Qt.Key.Key_F5)
    page.table.setColumnWidth(2, 333)
    screenshot(window, "main-window")
    window.close()
    again = MainWindow(ui_services, admin_user, TaskRunner(), qsettings)
    qtbot.addWidget(again)
    reopened = again.pages["orders"]
    assert isinstance(reopened, OrdersPage)
    assert reopened.table.columnWidth(2) == 333
    again.close()
