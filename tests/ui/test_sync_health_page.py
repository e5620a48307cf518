"""The Sync health page: dead jobs with history, audited retry/edit/discard, runs, inbox, calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import (
    seed_api_calls,
    seed_dead_jobs,
    seed_inbox,
    seed_runs,
)
from westgear_desk.app import AppServices
from westgear_desk.db.enums import JobStatus
from westgear_desk.db.models import AuditEntry, Job
from westgear_desk.db.session import unit_of_work
from westgear_desk.services import jobs as jobs_service
from westgear_desk.services.auth import CurrentUser
from westgear_desk.ui.dialogs.payload_dialog import PayloadDialog
from westgear_desk.ui.dialogs.reason_dialog import ReasonDialog
from westgear_desk.ui.pages.sync_health_page import SyncHealthPage
from westgear_desk.ui.tasks import TaskRunner

Screenshot = Callable[[QWidget, str], Path]
PageFactory = Callable[[CurrentUser], SyncHealthPage]


@pytest.fixture
def dead(ui_factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(ui_factory) as session:
        seed_api_calls(session)
        seed_inbox(session)
        seed_runs(session)
        return seed_dead_jobs(session, count=3)


@pytest.fixture
def open_page(
    qtbot: QtBot, ui_services: AppServices, tasks: TaskRunner, dead: list[int]
) -> PageFactory:
    def make(user: CurrentUser) -> SyncHealthPage:
        page = SyncHealthPage(ui_services, user, tasks)
        qtbot.addWidget(page)
        page.resize(1400, 800)
        page.show()
        qtbot.waitUntil(lambda: page.jobs_model.rowCount() == 3)
        qtbot.waitUntil(lambda: sum(s.calls for s in page.chart.stats()) == 17)
        return page

    return make


@pytest.fixture
def reason(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def ask(_parent: object, title: str, _prompt: str = "") -> str:
        asked.append(title)
        return "Klarna var nere, nu uppe igen"

    monkeypatch.setattr(ReasonDialog, "ask", ask)
    return asked


def _job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _audit(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _texts(model: Any, column: int) -> list[str]:
    return [str(model.index(r, column).data()) for r in range(model.rowCount())]


def test_shows_dead_jobs_with_attempt_history_runs_inbox_and_calls(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser, screenshot: Screenshot
) -> None:
    page = open_page(admin_user)
    assert page.tabs.tabText(0) == "Behöver åtgärd (3)"
    page.jobs_table.selectRow(0)
    qtbot.waitUntil(lambda: page.attempts_model.rowCount() == 3)
    assert _texts(page.attempts_model, 5) == ["503", "503", "503"]  # HTTP status
    assert _texts(page.attempts_model, 6)[-1].startswith("req-")  # provider request id
    assert _texts(page.attempts_model, 3) == ["westgear_desk.errors.ServerError"] * 3
    assert '"amount": 24990' in page.payload_view.toPlainText()
    assert "17 anrop, 4 fel" in page.chart.summary()
    qtbot.waitUntil(lambda: page.runs.model.rowCount() == 3)
    assert "misslyckades" in _texts(page.runs.model, 2)
    # the flows the engine modules register name their integration
    qtbot.waitUntil(lambda: _texts(page.runs.model, 0)[0] == "Sharespine")
    assert page.runs.schedule.findData("customers_orders") > 0
    qtbot.waitUntil(lambda: page.inbox.model.rowCount() == 2)
    qtbot.waitUntil(lambda: page.calls.model.rowCount() == 17)
    screenshot(page, "sync_health")
    page.tabs.setCurrentIndex(3)
    screenshot(page, "sync_health_calls")


def test_models_pass_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, open_page: PageFactory, admin_user: CurrentUser
) -> None:
    page = open_page(admin_user)
    page.jobs_table.selectRow(0)
    qtbot.waitUntil(lambda: page.attempts_model.rowCount() == 3)
    qtbot.waitUntil(lambda: page.calls.model.rowCount() == 17)
    qtbot.waitUntil(lambda: page.runs.model.rowCount() == 3)
    qtbot.waitUntil(lambda: page.inbox.model.rowCount() == 2)
    for model in (
        page.jobs_model, page.attempts_model, page.runs.model, page.inbox.model, page.calls.model,
    ):  # fmt: skip
        qtmodeltester.check(model)


def test_retry_from_the_ui_makes_the_job_due_and_is_audited(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    dead: list[int],
    reason: list[str],
) -> None:
    page = open_page(admin_user)
    row = _texts(page.jobs_model, 0).index(str(dead[0]))
    page.jobs_table.selectRow(row)
    page.retry_button.click()

    qtbot.waitUntil(lambda: page.jobs_model.rowCount() == 2)
    assert _job(ui_factory, dead[0]).status == JobStatus.PENDING
    [entry] = _audit(ui_factory)
    assert (entry.username, entry.action, entry.target_id) == ("admin", "job.retry", str(dead[0]))
    assert entry.reason == "Klarna var nere, nu uppe igen"
    assert reason == ["Försök igen med 1 jobb"]

    # The engine then runs the retried job (Klarna is up again) and it is done.
    from westgear_desk.sync.job_worker import JobWorker
    from westgear_desk.sync.jobs import JobContext, JobRegistry
    from westgear_desk.sync.retry import PolicyResolver

    captured: list[dict[str, Any]] = []
    registry = JobRegistry()

    def capture(context: JobContext) -> None:
        captured.append(dict(context.payload))

    registry.register("klarna.capture", capture)
    worker = JobWorker(ui_factory, registry, desk_id="test-desk", policies=PolicyResolver())
    assert worker.run_once() == 1
    assert _job(ui_factory, dead[0]).status == JobStatus.DONE
    assert captured == [{"order_id": "KL-0", "amount": 24990}]


def test_edit_payload_and_retry(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    dead: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = open_page(admin_user)
    page.jobs_table.selectRow(_texts(page.jobs_model, 0).index(str(dead[1])))
    qtbot.waitUntil(page.edit_button.isEnabled)

    def edit(_parent: object, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return {**payload, "amount": 19990}, "Rätt belopp efter rabatt"

    monkeypatch.setattr(PayloadDialog, "edit", edit)
    page.edit_button.click()
    qtbot.waitUntil(lambda: _job(ui_factory, dead[1]).status == JobStatus.PENDING)
    assert _job(ui_factory, dead[1]).payload["amount"] == 19990
    assert _audit(ui_factory)[0].details["payload_changed_fields"] == ["amount"]


def test_payload_dialog_refuses_invalid_json(qtbot: QtBot) -> None:
    dialog = PayloadDialog({"amount": 1})
    qtbot.addWidget(dialog)
    dialog.reason_edit.setText("fix")
    ok = dialog.buttons.buttons()[0]
    assert ok.isEnabled()
    dialog.editor.setPlainText('{"amount": 1,,}')
    assert not ok.isEnabled()
    assert "rad 1" in dialog.status.text()
    dialog.editor.setPlainText('{"amount": 2}')
    assert dialog.payload() == {"amount": 2}


def test_bulk_discard_shows_progress_and_can_be_cancelled(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    dead: list[int],
    reason: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = open_page(admin_user)
    page.jobs_table.selectAll()
    original = jobs_service.discard
    calls: list[int] = []

    def slow_discard(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # hold the second job until the user has pressed Cancel
            assert page.bulk.stop_event.wait(10)
        original(*args)

    monkeypatch.setattr(jobs_service, "discard", slow_discard)
    # Cancel as soon as the first job reports progress: the last job must stay dead.
    page.bulk.progress.valueChanged.connect(
        lambda value: value >= 1 and page.bulk.cancel_button.click()
    )
    page.discard_button.click()
    assert page.bulk.isVisible()
    qtbot.waitUntil(lambda: "Avbrutet efter" in page.banner.message(), timeout=10_000)
    statuses = sorted(str(_job(ui_factory, job_id).status) for job_id in dead)
    assert statuses == ["dead", "discarded", "discarded"]
    assert not page.bulk.isVisible()


def test_warehouse_and_sales_cannot_act_on_jobs(
    qtbot: QtBot, open_page: PageFactory, sales_user: CurrentUser
) -> None:
    page = open_page(sales_user)
    page.jobs_table.selectRow(0)
    qtbot.waitUntil(lambda: page.attempts_model.rowCount() == 3)
    for button in (page.retry_button, page.edit_button, page.discard_button):
        assert not button.isEnabled()
    assert page.retry_button.toolTip() == "Endast administratörer."
    page.tabs.setCurrentIndex(2)
    page.inbox.table.selectRow(0)
    assert not page.inbox.replay_button.isEnabled()


def test_filters_on_inbox_and_calls(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser
) -> None:
    page = open_page(admin_user)
    qtbot.waitUntil(lambda: page.calls.model.rowCount() == 17)
    page.calls.outcome.setCurrentIndex(page.calls.outcome.findData("error"))
    qtbot.waitUntil(lambda: page.calls.model.rowCount() == 4)
    page.calls.outcome.setCurrentIndex(0)
    page.calls.min_latency.setValue(1000)
    page.calls.min_latency.editingFinished.emit()
    qtbot.waitUntil(lambda: _texts(page.calls.model, 1) == ["fortnox"])
    page.chart_system.setCurrentIndex(page.chart_system.findData("fortnox"))
    qtbot.waitUntil(lambda: sum(s.calls for s in page.chart.stats()) == 1)
    page.inbox.status.setCurrentIndex(page.inbox.status.findData("dead"))
    qtbot.waitUntil(lambda: page.inbox.model.rowCount() == 1)
    page.inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: "order.captured" in page.inbox.history.text())


def test_replay_without_a_processor_is_a_clear_message(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser, reason: list[str]
) -> None:
    page = open_page(admin_user)
    qtbot.waitUntil(lambda: page.inbox.model.rowCount() == 2)
    page.tabs.setCurrentIndex(2)
    page.inbox.table.selectRow(0)
    assert page.inbox.replay_button.isEnabled()
    page.inbox.replay_button.click()
    qtbot.waitUntil(lambda: "kunde inte köras om" in page.banner.message(), timeout=10_000)


def test_chart_paints_calls_errors_and_latency(qtbot: QtBot) -> None:
    import datetime as dt

    from westgear_desk.db.queries_admin import HourStats
    from westgear_desk.ui.pages.sync_health_chart import CALLS, ERRORS, LATENCY, CallChart

    chart = CallChart()
    qtbot.addWidget(chart)
    chart.resize(600, 160)
    assert chart.summary() == "Inga anrop de senaste 24 timmarna."
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    chart.set_stats(
        [
            HourStats(start + dt.timedelta(hours=h), 10 + h, 5 if h == 20 else 0,
                      100.0 + 20 * h, 900)
            for h in range(24)
        ]
    )  # fmt: skip
    image = chart.grab().toImage()
    colors = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    }
    assert {CALLS.name(), ERRORS.name(), LATENCY.name()} <= colors
    assert "5 fel" in chart.toolTip()


def test_bulk_replay_from_the_inbox_tab(
    qtbot: QtBot,
    open_page: PageFactory,
    admin_user: CurrentUser,
    ui_factory: sessionmaker[Session],
    reason: list[str],
) -> None:
    from westgear_desk.db.models import InboxEvent
    from westgear_desk.sync.inbox import InboxContext, InboxRegistry

    page = open_page(admin_user)
    processed: list[int] = []
    registry = InboxRegistry()

    def process(context: InboxContext) -> None:
        processed.append(context.event_id)

    registry.register("klarna", "order.captured", process)
    page.inbox.registry = registry
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.inbox.model.rowCount() == 2)
    page.inbox.table.selectAll()
    page.inbox.replay_button.click()

    qtbot.waitUntil(lambda: page.banner.message() == "2 händelse(r) kördes om.", timeout=10_000)
    assert reason == ["Kör om 2 händelse(r)"]
    with ui_factory() as session:
        statuses = {str(e.status) for e in session.scalars(select(InboxEvent))}
    assert statuses == {"processed"}
    assert len(processed) == 2
    page.inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: "omkörd av admin" in page.inbox.history.text())


def test_a_refresh_keeps_a_multi_selection(
    qtbot: QtBot, open_page: PageFactory, admin_user: CurrentUser
) -> None:
    page = open_page(admin_user)
    page.jobs_table.selectAll()
    assert len(page.selected_job_ids()) == 3
    before = page.selected_job_ids()
    with qtbot.waitSignal(page.jobs_model.modelReset, timeout=10_000):
        page.refresh()
    assert page.selected_job_ids() == before
