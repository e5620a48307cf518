"""The demo end to end: sandboxes, engine and window together offscreen; orders arrive; it quits."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from westgear_desk.db.enums import JobStatus
from westgear_desk.db.models import Job, Order, QuarantineEntry, SyncRun
from westgear_desk.demo import Demo, DemoOptions
from westgear_desk.ui.i18n import set_language
from westgear_desk.ui.main_window import MainWindow
from westgear_desk.ui.pages.orders_page import OrdersPage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)"),
]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    options = DemoOptions(
        products=150, directory=tmp_path / "demo", feed_interval_s=2.0, fault_window_s=40.0
    )
    running = Demo(options)
    running.start()
    yield running
    running.stop()


def _count(demo: Demo, model: type) -> int:
    assert demo.services is not None
    with demo.services.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_shows_arriving_orders_quarantine_and_a_failed_run(
    qtbot: QtBot, demo: Demo, tmp_path: Path, screenshot_dir: Path
):
    assert demo.services is not None
    assert demo.user is not None
    assert demo.user.is_admin
    set_language("en")  # the user guide's screenshots are in English
    layout = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    window = MainWindow(demo.services, demo.user, qsettings=layout)
    qtbot.addWidget(window)
    window.resize(1360, 860)
    window.show()
    page = window.pages["orders"]
    assert isinstance(page, OrdersPage)
    qtbot.waitUntil(lambda: _count(demo, QuarantineEntry) > 0, timeout=60_000)
    qtbot.waitUntil(lambda: _count(demo, Order) > 0, timeout=60_000)
    first = _count(demo, Order)
    page.refresh()
    qtbot.waitUntil(lambda: page.model.total() >= first, timeout=60_000)
    qtbot.waitUntil(lambda: _count(demo, Order) > first, timeout=60_000)  # the feed keeps going
    page.refresh()
    qtbot.waitUntil(lambda: page.model.total() > first, timeout=60_000)  # and the list shows it
    qtbot.waitUntil(lambda: "failed" in _run_statuses(demo), timeout=60_000)
    assert demo.feed is not None
    assert demo.feed.counts.stock_changes > 0
    # The event log failed through the fault window: its jobs are "needs action" (to retry).
    qtbot.waitUntil(lambda: _dead_jobs(demo) > 0, timeout=60_000)
    lights = window.status.lights
    qtbot.waitUntil(lambda: lights["sharespine"].level in {"failing", "degraded"}, timeout=60_000)
    _tour(qtbot, window, page, screenshot_dir)
    window.close()
    set_language("sv")


def _run_statuses(demo: Demo) -> set[str]:
    assert demo.services is not None
    with demo.services.session_factory() as session:
        return {str(status) for status in session.scalars(select(SyncRun.status))}


def _dead_jobs(demo: Demo) -> int:
    assert demo.services is not None
    with demo.services.session_factory() as session:
        dead = select(func.count()).select_from(Job).where(Job.status == JobStatus.DEAD)
        return int(session.scalar(dead) or 0)


def _tour(qtbot: QtBot, window: MainWindow, page: OrdersPage, folder: Path) -> None:
    """Screenshots of every page with live demo data, for the user guide."""
    order_id = page.model.id_at(0)
    assert order_id is not None
    assert page.select_order(order_id)
    qtbot.waitUntil(lambda: page.detail.order_id == order_id, timeout=60_000)
    assert page.detail.timeline.timeline.rowCount() > 0  # the sync wrote its story
    window.grab().save(str(folder / "demo-orders.png"))
    for key in ("catalog", "quarantine", "sync_health", "settings"):
        if key not in window._holders and key not in window.pages:
            continue
        window.show_page(key)
        assert window.current_key() == key
        qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60_000)
        window.grab().save(str(folder / f"demo-{key.replace('_', '-')}.png"))
    window.show_page("orders")


def test_demo_command_quits_cleanly(tmp_path: Path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "westgear_desk.cli",
            "demo",
            "--quit-after",
            "6",
            "--products",
            "60",
            "--dir",
            str(tmp_path / "demo"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "demo" / "demo.db").exists()
    assert (tmp_path / "demo" / "logs" / "westgear-desk.jsonl").exists()
    assert "WestGear Desk demo: data in" in result.stdout


@pytest.fixture
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("WESTGEAR_ARTIFACTS_DIR", "artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


Shot = Callable[[QWidget, str], Path]
