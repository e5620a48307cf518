"""The Settings page: database, integrations with their credentials, schedules, retries, company.

Everything an admin changes is validated by the settings models and saved with
`settings.save_settings` (admin only, audited); others see the same page read-only.
Credentials are written to the OS keyring through `services.settings_admin` and are never
shown back: each shows "set" or "not set" and a blank field to replace it. "Test" buttons
connect off the GUI thread through the real clients and say in words what happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from westgear_desk.credentials import KNOWN_CREDENTIALS, CredentialStore
from westgear_desk.db.session import describe_database
from westgear_desk.errors import ConfigurationError
from westgear_desk.services import settings_admin
from westgear_desk.services.auth import can_edit_credentials, can_edit_shared_settings
from westgear_desk.services.connection_test import (
    ConnectionResult,
    check_database,
    check_integration,
)
from westgear_desk.services.settings_admin import CredentialState
from westgear_desk.settings import Settings, settings_path
from westgear_desk.ui.i18n import language, register, tr
from westgear_desk.ui.pages.settings_form import SectionForm
from westgear_desk.ui.widgets.error_banner import ErrorBanner

if TYPE_CHECKING:
    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskError, TaskRunner

register(
    {
        "settings.tab.database": ("Databas", "Database"),
        "settings.tab.integrations": ("Integrationer", "Integrations"),
        "settings.tab.schedules": ("Scheman", "Schedules"),
        "settings.tab.retry": ("Omförsök", "Retries"),
        "settings.tab.company": ("Företag", "Company"),
        "settings.tab.invoicing": ("Fakturering", "Invoicing"),
        "settings.database.url": (
            "Databas-URL (tom = inbyggd SQLite-fil; PostgreSQL: postgresql://värd/databas)",
            "Database URL (empty = built-in SQLite file; PostgreSQL: postgresql://host/db)",
        ),
        "settings.database.current": ("Används nu: {db}", "In use now: {db}"),
        "settings.database.restart": (
            "En ändrad databas används efter omstart.",
            "A changed database is used after a restart.",
        ),
        "settings.test": ("Testa", "Test"),
        "settings.retry.overrides": (
            "Avvikande väntetider per integration eller jobbtyp, en per rad "
            "(t.ex. klarna.capture = 0, 60, 600; jitter 0.2):",
            "Different delays per integration or job kind, one per line "
            "(e.g. klarna.capture = 0, 60, 600; jitter 0.2):",
        ),
        "settings.test_connection": ("Testa anslutning", "Test connection"),
        "settings.testing": ("Testar…", "Testing…"),
        "settings.save": ("Spara inställningar", "Save settings"),
        "settings.saved": ("Sparat i {path}.", "Saved to {path}."),
        "settings.read_only": (
            "Endast administratörer kan ändra inställningarna; du ser dem skrivskyddade.",
            "Only administrators can change the settings; you see them read-only.",
        ),
        "settings.credential.set": ("satt ({source})", "set ({source})"),
        "settings.credential.unset": ("inte satt", "not set"),
        "settings.credential.new": ("Nytt värde…", "New value…"),
        "settings.credential.store": ("Spara i nyckelring", "Store in keyring"),
        "settings.credential.stored": (
            "{name} sparad i nyckelringen.",
            "{name} stored in keyring.",
        ),
        "settings.credentials": ("Inloggningsuppgifter", "Credentials"),
        "settings.webhooks": (
            "Mottagare av webhooks (serve-webhooks)",
            "Webhook receiver (serve-webhooks)",
        ),
    }
)
ENDPOINTS = ("sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp")


def _result_text(result: ConnectionResult) -> str:
    mark = "✔" if result.ok else "✖"
    return f"{mark} {result.message} ({result.latency_ms} ms)"


class CredentialRow(QWidget):
    """One credential: its label, whether it is set, a blank field to replace it, a button."""

    def __init__(self, state: CredentialState, parent: QWidget | None = None) -> None:
        """`state` gives the label; the status reads "loading" until `show_state`."""
        super().__init__(parent)
        self.name = state.name
        self.setObjectName(f"credential_{state.name}")
        self.label = QLabel(state.label(language()), self)
        self.status = QLabel(self)
        self.status.setObjectName("status")
        self.value = QLineEdit(self)
        self.value.setObjectName("value")
        self.value.setEchoMode(QLineEdit.EchoMode.Password)
        self.value.setPlaceholderText(tr("settings.credential.new"))
        self.store_button = QPushButton(tr("settings.credential.store"), self)
        self.store_button.setObjectName("store")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 2)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.value, 2)
        layout.addWidget(self.store_button)
        self.status.setText(tr("common.loading"))

    def show_state(self, state: CredentialState) -> None:
        self.status.setText(
            tr("settings.credential.set", source=state.source)
            if state.is_set
            else tr("settings.credential.unset")
        )


class SettingsPage(QWidget):
    """Tabs of forms; Save writes the settings file; credentials go to the keyring at once."""

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner,
        *,
        store: CredentialStore | None = None,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.services, self.user, self.tasks = services, user, tasks
        self.store = store or CredentialStore()
        self.settings_file = settings_file or settings_path()
        self.may_edit = can_edit_shared_settings(user)
        self.credential_rows: dict[str, CredentialRow] = {}
        self.test_results: dict[str, QLabel] = {}
        self.forms: dict[str, SectionForm] = {}
        self.banner = ErrorBanner(self)
        self.notice = QLabel(self)
        self.notice.setObjectName("notice")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settings_tabs")
        self._build(services.settings)
        self.save_button = QPushButton(tr("settings.save"), self)
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(self.may_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.save_button)
        if not self.may_edit:
            self.notice.setText(tr("settings.read_only"))
            for form in self.forms.values():
                form.set_read_only(True)
            self.database_url.setReadOnly(True)
        self.refresh()

    @property
    def title(self) -> str:
        return tr("page.settings")

    def focus_search(self) -> None:
        self.tabs.setFocus()

    def refresh(self) -> None:
        self.tasks.run(settings_admin.credential_states, self.store, owner=self,
                       on_done=self._show_credentials, on_error=self._show_error)  # fmt: skip

    # ------------------------------------------------------------------ layout

    def _scroll(self, content: QWidget) -> QScrollArea:
        area = QScrollArea(self)
        area.setWidgetResizable(True)
        area.setWidget(content)
        return area

    def _build(self, settings: Settings) -> None:
        self.tabs.addTab(self._database_tab(settings), tr("settings.tab.database"))
        self.tabs.addTab(self._scroll(self._integrations_tab(settings)),
                         tr("settings.tab.integrations"))  # fmt: skip
        for key, name in (("schedules", "settings.tab.schedules"), ("retry", "settings.tab.retry"),
                          ("company", "settings.tab.company"),
                          ("invoice_policy", "settings.tab.invoicing")):  # fmt: skip
            self.forms[key] = SectionForm(getattr(settings, key), key, self)
            content: QWidget = self.forms[key]
            if key == "retry":
                content = self._retry_tab(settings)
            self.tabs.addTab(self._scroll(content), tr(name))

    def _retry_tab(self, settings: Settings) -> QWidget:
        tab = QWidget(self)
        self.retry_overrides = QPlainTextEdit(tab)
        self.retry_overrides.setObjectName("retry.overrides")
        self.retry_overrides.setPlainText(
            settings_admin.format_retry_overrides(settings.retry.overrides)
        )
        self.retry_overrides.setReadOnly(not self.may_edit)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.forms["retry"])
        layout.addWidget(QLabel(tr("settings.retry.overrides"), tab))
        layout.addWidget(self.retry_overrides, 1)
        return tab

    def _database_tab(self, settings: Settings) -> QWidget:
        tab = QWidget(self)
        self.database_url = QLineEdit(settings.database_url or "", tab)
        self.database_url.setObjectName("database_url")
        self.database_url.setPlaceholderText(settings.resolved_database_url())
        test = QPushButton(tr("settings.test"), tab)
        test.setObjectName("test_database")
        test.clicked.connect(self.test_database)
        self.test_results["database"] = QLabel(tab)
        row = QHBoxLayout()
        row.addWidget(self.database_url, 1)
        row.addWidget(test)
        layout = QVBoxLayout(tab)
        layout.addWidget(QLabel(tr("settings.database.url"), tab))
        layout.addLayout(row)
        layout.addWidget(self.test_results["database"])
        current = describe_database(self.services.database_url)
        layout.addWidget(QLabel(tr("settings.database.current", db=current), tab))
        layout.addWidget(QLabel(tr("settings.database.restart"), tab))
        layout.addStretch(1)
        return tab

    def _integrations_tab(self, settings: Settings) -> QWidget:
        content = QWidget(self)
        layout = QVBoxLayout(content)
        # No keyring access on the GUI thread: rows start "loading" and `refresh` fills them.
        states = [
            CredentialState(spec.name, spec.integration, spec.label_sv, spec.label_en, False, None)
            for spec in KNOWN_CREDENTIALS.values()
        ]
        for name in ENDPOINTS:
            box = QGroupBox(name.capitalize(), content)
            box.setObjectName(f"integration_{name}")
            inner = QVBoxLayout(box)
            form = SectionForm(getattr(settings.integrations, name), name, box)
            self.forms[f"integrations.{name}"] = form
            inner.addWidget(form)
            inner.addWidget(QLabel(f"<b>{tr('settings.credentials')}</b>", box))
            for state in (s for s in states if s.integration == name):
                inner.addWidget(self._credential_row(state, box))
            test = QPushButton(tr("settings.test_connection"), box)
            test.setObjectName(f"test_{name}")
            test.setEnabled(self.may_edit)
            test.clicked.connect(lambda _c=False, n=name: self.test_integration(n))
            result = QLabel(box)
            result.setObjectName(f"result_{name}")
            result.setWordWrap(True)
            self.test_results[name] = result
            inner.addWidget(test)
            inner.addWidget(result)
            layout.addWidget(box)
        webhooks = QGroupBox(tr("settings.webhooks"), content)
        webhooks.setObjectName("integration_webhooks")
        self.forms["integrations.webhooks"] = SectionForm(
            settings.integrations.webhooks, "webhooks", webhooks
        )
        QVBoxLayout(webhooks).addWidget(self.forms["integrations.webhooks"])
        layout.addWidget(webhooks)
        return content

    def _credential_row(self, state: CredentialState, parent: QWidget) -> CredentialRow:
        row = CredentialRow(state, parent)
        allowed = can_edit_credentials(self.user)
        row.value.setVisible(allowed)
        row.store_button.setVisible(allowed)
        row.store_button.clicked.connect(lambda _c=False, r=row: self.store_credential(r))
        row.value.returnPressed.connect(lambda r=row: self.store_credential(r))
        self.credential_rows[state.name] = row
        return row

    # ------------------------------------------------------------------ actions

    def draft(self) -> Settings:
        """The settings as entered; ConfigurationError naming every bad field of every section."""
        settings = settings_admin.with_database_url(
            self.services.settings, self.database_url.text()
        )
        sections: dict[str, dict[str, Any]] = {
            "integrations": {
                name: self.forms[f"integrations.{name}"].values()
                for name in (*ENDPOINTS, "webhooks")
            },
            **{
                key: self.forms[key].values()
                for key in ("schedules", "retry", "company", "invoice_policy")
            },
        }
        problems = []
        try:
            overrides = settings_admin.parse_retry_overrides(self.retry_overrides.toPlainText())
            sections["retry"]["overrides"] = overrides
        except ConfigurationError as exc:
            problems.append(str(exc))
        for key, values in sections.items():
            try:
                settings = settings_admin.with_section(settings, key, values)
            except ConfigurationError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigurationError("\n".join(problems))
        return settings

    def save(self) -> None:
        try:
            draft = self.draft()
        except (ConfigurationError, ValueError) as exc:  # says which field is wrong
            self.banner.show_message(str(exc))
            return
        self.tasks.run(
            settings_admin.save_shared, self.user, draft, self.settings_file,
            self.services.session_factory, owner=self, on_error=self._show_error,
            on_done=lambda path: self._saved(draft, path),
        )  # fmt: skip

    def _saved(self, draft: Settings, path: Path) -> None:
        self.services.settings = draft
        self.notice.setText(tr("settings.saved", path=str(path)))

    def store_credential(self, row: CredentialRow) -> None:
        value = row.value.text()
        row.value.clear()  # never kept in the widget once handed over
        self.tasks.run(
            settings_admin.set_credential, self.user, self.store, row.name, value,
            self.services.session_factory, owner=self, on_error=self._show_error,
            on_done=lambda _r: self._stored(row.name),
        )  # fmt: skip

    def _stored(self, name: str) -> None:
        self.notice.setText(tr("settings.credential.stored", name=name))
        self.refresh()

    def _show_credentials(self, states: list[CredentialState]) -> None:
        for state in states:
            row = self.credential_rows.get(state.name)
            if row is not None:
                row.show_state(state)

    def test_database(self) -> None:
        url = self.database_url.text().strip() or self.services.settings.resolved_database_url()
        self._testing("database")
        self.tasks.run(check_database, url, owner=self, on_done=self._tested,
                       on_error=self._show_error)  # fmt: skip

    def test_integration(self, name: str) -> None:
        try:
            draft = self.draft()
        except (ConfigurationError, ValueError) as exc:  # a bad endpoint value
            self.banner.show_message(str(exc))
            return
        self._testing(name)
        self.tasks.run(check_integration, name, draft, self.store, owner=self,
                       on_done=self._tested, on_error=self._show_error)  # fmt: skip

    def _testing(self, name: str) -> None:
        self.test_results[name].setText(tr("settings.testing"))

    def _tested(self, result: ConnectionResult) -> None:
        label = self.test_results[result.target]
        label.setText(_result_text(result))
        label.setStyleSheet("color: #1b5e20;" if result.ok else "color: #b71c1c;")

    def _show_error(self, error: TaskError) -> None:
        self.banner.show_message(error.message)

    def form_values(self) -> dict[str, Any]:
        return {key: form.values() for key, form in self.forms.items()}
