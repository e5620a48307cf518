"""The Settings page: validated saving, credentials only in the keyring, read-only for others."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.sandboxes import RunningSandbox
from westgear_desk.app import AppServices
from westgear_desk.credentials import SERVICE_NAME, CredentialStore, MemoryKeyring
from westgear_desk.db.models import AuditEntry
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import settings_admin
from westgear_desk.services.auth import CurrentUser
from westgear_desk.settings import load_settings
from westgear_desk.ui.pages.settings_page import SettingsPage
from westgear_desk.ui.tasks import TaskRunner

Screenshot = Callable[[QWidget, str], Path]
SECRET = "pn-Sekret-4711-ÅÄÖ"


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(keyring_backend: MemoryKeyring) -> CredentialStore:
    return CredentialStore(backend=keyring_backend, env={})


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "saved" / "settings.toml"


@pytest.fixture
def open_page(
    qtbot: QtBot,
    ui_services: AppServices,
    tasks: TaskRunner,
    store: CredentialStore,
    settings_file: Path,
) -> Callable[[CurrentUser], SettingsPage]:
    def make(user: CurrentUser) -> SettingsPage:
        page = SettingsPage(ui_services, user, tasks, store=store, settings_file=settings_file)
        qtbot.addWidget(page)
        page.resize(1100, 800)
        page.show()
        return page

    return make


def _field(page: SettingsPage, name: str) -> QLineEdit:
    widget = page.findChild(QLineEdit, name)
    assert widget is not None, name
    return widget


def _dump_database(factory: sessionmaker[Session]) -> str:
    """Every value of every row of every table, as text."""
    metadata = MetaData()
    with factory() as session, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; only the rows matter here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        metadata.reflect(bind=session.get_bind())
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in session.execute(select(table))
        )


def test_admin_stores_a_credential_in_the_keyring_only(
    qtbot: QtBot,
    open_page: Callable[[CurrentUser], SettingsPage],
    admin_user: CurrentUser,
    keyring_backend: MemoryKeyring,
    settings_file: Path,
    ui_services: AppServices,
    screenshot: Screenshot,
) -> None:
    page = open_page(admin_user)
    row = page.credential_rows["postnord.apikey"]
    qtbot.waitUntil(lambda: row.status.text() == "inte satt")
    row.value.setText(SECRET)
    row.store_button.click()

    qtbot.waitUntil(lambda: row.status.text() == "satt (keyring)")
    assert keyring_backend.entries[(SERVICE_NAME, "postnord.apikey")] == SECRET
    assert row.value.text() == ""  # not kept in the widget

    _field(page, "company.name").setText("WestGear Marin AB")
    _field(page, "webhooks.port").setText("8999")
    _field(page, "invoice_policy.trigger").setText("on_shipment")
    page.retry_overrides.setPlainText("klarna.capture = 0, 60, 600; jitter 0.2\nfortnox = 5, 50")
    page.save_button.click()
    qtbot.waitUntil(settings_file.exists)
    qtbot.waitUntil(lambda: "Sparat" in page.notice.text())
    text = settings_file.read_text(encoding="utf-8")
    assert 'name = "WestGear Marin AB"' in text
    assert SECRET not in text
    saved = load_settings(settings_file)
    assert saved.company.name == "WestGear Marin AB"
    assert saved.integrations.webhooks.port == 8999
    assert saved.invoice_policy.trigger == "on_shipment"
    assert saved.retry.overrides["klarna.capture"].schedule_s == [0, 60, 600]
    assert saved.retry.overrides["klarna.capture"].jitter == 0.2
    assert saved.retry.overrides["fortnox"].schedule_s == [5, 50]

    database = _dump_database(ui_services.session_factory)
    assert SECRET not in database
    db_file = Path(ui_services.database_url.removeprefix("sqlite:///"))
    assert SECRET.encode() not in db_file.read_bytes()
    assert "credential.set" in database  # the audit names the credential, never its value
    with ui_services.session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert actions == ["credential.set", "settings.save"]
    page.tabs.setCurrentIndex(1)
    screenshot(page, "settings")


def test_invalid_values_are_refused_with_the_field_named(
    qtbot: QtBot,
    open_page: Callable[[CurrentUser], SettingsPage],
    admin_user: CurrentUser,
    settings_file: Path,
) -> None:
    page = open_page(admin_user)
    _field(page, "company.org_number").setText("123")
    _field(page, "retry.schedule_s").setText("5, 1")
    page.save_button.click()
    message = page.banner.message()
    assert "company.org_number" in message
    assert not settings_file.exists()
    _field(page, "company.org_number").setText("")
    page.retry_overrides.setPlainText("postnrod = 1, 2\nnot a line")
    page.save_button.click()
    assert "retry.schedule_s" in page.banner.message()
    assert "line 2" in page.banner.message()
    page.retry_overrides.setPlainText("postnrod = 1, 2")
    page.save_button.click()
    assert "postnrod" in page.banner.message()


def test_warehouse_user_sees_settings_read_only(
    open_page: Callable[[CurrentUser], SettingsPage],
    warehouse_user: CurrentUser,
    store: CredentialStore,
    screenshot: Screenshot,
) -> None:
    page = open_page(warehouse_user)
    assert not page.save_button.isVisible()
    assert _field(page, "company.name").isReadOnly()
    assert _field(page, "sharespine.base_url").isReadOnly()
    row = page.credential_rows["sharespine.password"]
    assert not row.value.isVisible()
    assert not row.store_button.isVisible()
    assert "Endast administratörer" in page.notice.text()
    with pytest.raises(PermissionDeniedError):
        settings_admin.set_credential(warehouse_user, store, "sharespine.password", "x")
    assert not store.is_set("sharespine.password")
    page.tabs.setCurrentIndex(1)
    screenshot(page, "settings_read_only")


def test_connection_test_calls_the_real_client_against_the_sandbox(
    qtbot: QtBot,
    open_page: Callable[[CurrentUser], SettingsPage],
    admin_user: CurrentUser,
    store: CredentialStore,
    postnord_sandbox: RunningSandbox,
) -> None:
    page = open_page(admin_user)
    _field(page, "postnord.base_url").setText(postnord_sandbox.url)
    store.set("postnord.apikey", "wrong-key")
    page.test_integration("postnord")
    result = page.test_results["postnord"]
    qtbot.waitUntil(lambda: result.text().startswith("✖"), timeout=15_000)
    assert "nekades" in result.text()

    store.set("postnord.apikey", postnord_sandbox.credentials["apikey"])
    page.findChild(QWidget, "test_postnord").click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: result.text().startswith("✔"), timeout=15_000)
    assert postnord_sandbox.requests("/rest/")  # a real call reached the sandbox


def test_missing_credential_is_reported_in_words(
    qtbot: QtBot, open_page: Callable[[CurrentUser], SettingsPage], admin_user: CurrentUser
) -> None:
    page = open_page(admin_user)
    page.test_integration("klarna")
    qtbot.waitUntil(lambda: "klarna.username" in page.test_results["klarna"].text())


def test_database_test_button(
    qtbot: QtBot, open_page: Callable[[CurrentUser], SettingsPage], admin_user: CurrentUser
) -> None:
    page = open_page(admin_user)
    page.test_database()
    label = page.test_results["database"]
    qtbot.waitUntil(lambda: label.text().startswith("✔"), timeout=10_000)
    assert "SQLite" in label.text() or "sqlite" in label.text()
    page.database_url.setText("postgresql://nobody@127.0.0.1:1/none")
    page.test_database()
    qtbot.waitUntil(lambda: label.text().startswith("✖"), timeout=20_000)
    assert "Ingen anslutning" in label.text()
