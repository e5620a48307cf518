"""Fixtures for widget tests: a migrated database, services, users, a TaskRunner, a private
QSettings file and a screenshot helper that writes into the folder CI keeps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.app import AppServices
from westgear_desk.db.enums import UserRole
from westgear_desk.db.session import create_engine_for, make_session_factory, unit_of_work
from westgear_desk.services.auth import CurrentUser, ensure_user
from westgear_desk.settings import Settings, load_settings
from westgear_desk.ui.i18n import set_language
from westgear_desk.ui.tasks import TaskRunner

#: The offscreen platform plugin says this whenever a window is shown; it is not our warning.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _swedish_ui() -> Iterator[None]:
    set_language("sv")
    yield
    set_language("sv")


@pytest.fixture
def ui_settings(tmp_path: Path, migrated_sqlite_url: str) -> Settings:
    return load_settings(tmp_path / "settings.toml", database_url=migrated_sqlite_url)


@pytest.fixture
def ui_services(ui_settings: Settings) -> Iterator[AppServices]:
    """AppServices on a fresh migrated SQLite database (no engine running)."""
    url = ui_settings.resolved_database_url()
    engine = create_engine_for(url)
    yield AppServices(ui_settings, url, engine, make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def ui_factory(ui_services: AppServices) -> sessionmaker[Session]:
    return ui_services.session_factory


def _user(factory: sessionmaker[Session], name: str, role: UserRole) -> CurrentUser:
    with unit_of_work(factory) as session:
        return ensure_user(session, name, role, display_name=name.title())


@pytest.fixture
def admin_user(ui_factory: sessionmaker[Session]) -> CurrentUser:
    return _user(ui_factory, "admin", UserRole.ADMIN)


@pytest.fixture
def warehouse_user(ui_factory: sessionmaker[Session]) -> CurrentUser:
    return _user(ui_factory, "lager", UserRole.WAREHOUSE)


@pytest.fixture
def sales_user(ui_factory: sessionmaker[Session]) -> CurrentUser:
    return _user(ui_factory, "salj", UserRole.SALES)


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[TaskRunner]:
    """A TaskRunner whose work is finished (and callbacks dropped) when the test ends."""
    del qtbot
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    """A private INI QSettings file: tests never read or write the user's real settings."""
    return QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def screenshot() -> Callable[[QWidget, str], Path]:
    """`screenshot(widget, "orders")` saves a PNG into $WESTGEAR_ARTIFACTS_DIR/screenshots."""
    folder = Path(os.environ.get("WESTGEAR_ARTIFACTS_DIR", "artifacts")) / "screenshots"

    def save(widget: QWidget, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save
