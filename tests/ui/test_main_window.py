"""The main window: navigation, shortcuts, status bar, remembered layout, calm error banner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from westgear_desk.app import AppServices
from westgear_desk.db.enums import JobStatus, SyncRunStatus
from westgear_desk.db.models import Job, SyncRun
from westgear_desk.db.session import unit_of_work
from westgear_desk.services.auth import CurrentUser
from westgear_desk.ui.main_window import MainWindow
from westgear_desk.ui.pages.base import PAGES, PageSpec
from westgear_desk.ui.tasks import TaskRunner


def _window(
    qtbot: QtBot, services: AppServices, user: CurrentUser, tasks: TaskRunner, qsettings: QSettings
) -> MainWindow:
    window = MainWindow(services, user, tasks, qsettings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):  # shortcuts only reach the active window
        window.show()
        window.activateWindow()
    return window


def test_status_bar_shows_database_user_scheduler(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
):
    window = _window(qtbot, ui_services, admin_user, tasks, qsettings)
    status = window.status
    assert status.database_label.text().startswith("SQLite: ")
    assert status.user_label.text() == "Admin (Administratör)"
    assert "annan process" in status.scheduler_label.text()
    assert set(status.lights) >= {"sharespine", "fortnox", "klarna"}


def test_health_lights_follow_runs_and_dead_jobs(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
):
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(ui_services.session_factory) as session:
        session.add(
            SyncRun(
                schedule="catalog",
                run_key="catalog@1",
                desk="d",
                started_at=now,
                status=SyncRunStatus.FAILED,
                finished_at=now,
            )
        )
        session.add(
            SyncRun(
                schedule="fortnox.invoices",
                run_key="fx@1",
                desk="d",
                started_at=now,
                status=SyncRunStatus.SUCCEEDED,
                finished_at=now,
            )
        )
        session.add(Job(kind="klarna.capture", idempotency_key="k1", status=JobStatus.DEAD))
    window = _window(qtbot, ui_services, admin_user, tasks, qsettings)
    lights = window.status.lights
    qtbot.waitUntil(lambda: lights["sharespine"].level == "failing")
    assert lights["fortnox"].level == "ok"
    assert lights["klarna"].level == "degraded"
    assert lights["dhl"].level == "idle"
    assert "Döda jobb: 1" in lights["klarna"].toolTip()


def test_layout_is_remembered_per_user(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
    tmp_path: Path,
    warehouse_user: CurrentUser,
):
    window = _window(qtbot, ui_services, admin_user, tasks, qsettings)
    window.resize(640, 480)  # the offscreen screen is small; geometry is clamped to it
    window.close()
    assert Path(qsettings.fileName()).parent == tmp_path
    again = MainWindow(ui_services, admin_user, TaskRunner(), qsettings)
    qtbot.addWidget(again)
    assert again.height() == 480  # (the width is held up by the toolbar and status bar)
    other = MainWindow(ui_services, warehouse_user, TaskRunner(), qsettings)
    qtbot.addWidget(other)
    assert other.height() != 480  # another user's layout is their own
    again.tasks.shutdown()
    other.tasks.shutdown()


def test_error_banner_shows_plain_message(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
):
    window = _window(qtbot, ui_services, admin_user, tasks, qsettings)

    def broken() -> None:
        raise RuntimeError("internal detail")

    tasks.run(broken)
    qtbot.waitUntil(lambda: bool(window.banner.message()))
    assert "oväntat fel" in window.banner.message()
    assert "internal detail" not in window.banner.message()


class BrokenPage(QWidget):
    """A page whose construction fails (a bug): the window must carry on without it."""

    def __init__(self, *_args: object) -> None:
        raise RuntimeError("page bug")


def test_pages_are_built_on_first_visit_and_ctrl_numbers_switch(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
):
    window = _window(qtbot, ui_services, admin_user, tasks, qsettings)
    keys = [window.nav.item(r).data(Qt.ItemDataRole.UserRole) for r in range(window.nav.count())]
    assert keys[0] == "orders"
    assert set(window.pages) == {"orders"}  # only the page on screen was built
    for number, key in enumerate(keys, start=1):
        qtbot.keyClick(
            window, getattr(Qt.Key, f"Key_{number}"), Qt.KeyboardModifier.ControlModifier
        )
        assert window.current_key() == key
        assert key in window.pages
        page = window.pages[key]
        assert window.stack.currentWidget().isAncestorOf(page)
        window.nav.setFocus()
        qtbot.keyClick(window.nav, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        focused = QApplication.focusWidget()
        assert focused is not None
        assert page.isAncestorOf(focused), f"Ctrl+F on {key} focused {focused!r}"


def test_a_page_that_fails_to_build_leaves_a_calm_message(
    qtbot: QtBot,
    ui_services: AppServices,
    admin_user: CurrentUser,
    tasks: TaskRunner,
    qsettings: QSettings,
):
    specs = (
        PAGES[0],
        PageSpec("broken", "tests.ui.test_main_window", "BrokenPage", "page.catalog"),
    )
    window = MainWindow(ui_services, admin_user, tasks, qsettings, pages=specs)
    qtbot.addWidget(window)
    window.show()
    window.show_page("broken")
    assert "oväntat fel" in window.banner.message()
    assert "broken" not in window.pages
    window.show_page("orders")
    assert window.current_key() == "orders"


def test_every_text_has_both_languages_with_the_same_placeholders():
    import string

    from westgear_desk.ui import i18n
    from westgear_desk.ui.pages.base import load_page_class

    for spec in PAGES:
        load_page_class(spec)  # pages register their texts when imported
    assert len(i18n.keys()) > 100
    for key, (sv, en) in i18n._catalogue.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (sv, en)]
        assert fields[0] == fields[1], key
    i18n.set_language("en")
    assert i18n.tr("page.orders") == "Orders"
    i18n.set_language("sv")
    assert i18n.tr("page.orders") == "Ordrar"


def test_first_user_of_a_new_database_is_admin_others_must_be_added(ui_services: AppServices):
    from westgear_desk.app import sign_in_current_user
    from westgear_desk.services.auth import UnknownUserError

    first = sign_in_current_user(ui_services, "anna")
    assert first.is_admin
    assert sign_in_current_user(ui_services, "anna") == first
    with pytest.raises(UnknownUserError, match="does not exist"):
        sign_in_current_user(ui_services, "bertil")
