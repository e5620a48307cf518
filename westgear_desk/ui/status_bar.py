"""The status bar: database, user and role, scheduler state, one health light per integration.

The lights are refreshed every few seconds by a query in the TaskRunner (never on the GUI
thread); the rule that turns runs, dead jobs and calls into a colour lives in
`db.queries_health.classify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from westgear_desk.db import queries_health
from westgear_desk.db.session import describe_database, reader_engine
from westgear_desk.settings import INTEGRATION_NAMES
from westgear_desk.ui.formatting import format_datetime
from westgear_desk.ui.i18n import tr
from westgear_desk.ui.widgets.health_light import HealthLight

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskRunner

HEALTH_REFRESH_MS = 5_000
FIRST_REFRESH_MS = 500
LABELS = {
    "sharespine": "Sharespine",
    "fortnox": "Fortnox",
    "klarna": "Klarna",
    "postnord": "PostNord",
    "dhl": "DHL",
    "smtp": "SMTP",
}


def _load_health(
    factory: sessionmaker[Session], names: tuple[str, ...]
) -> list[queries_health.IntegrationHealth]:
    with factory() as session:
        return queries_health.integration_health(session, names)


class DeskStatusBar(QStatusBar):
    """Shows where the data is, who is signed in, whether the engine runs, and the lights."""

    def __init__(
        self,
        services: AppServices,
        user: CurrentUser,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        refresh_ms: int = HEALTH_REFRESH_MS,
    ) -> None:
        super().__init__(parent)
        self._services, self._tasks = services, tasks
        from sqlalchemy.orm import sessionmaker

        self._factory = sessionmaker(bind=reader_engine(services.engine))
        self.database_label = QLabel(describe_database(services.database_url), self)
        self.user_label = QLabel(
            tr("status.user", name=user.display_name, role=tr(f"role.{user.role.value}")), self
        )
        self.scheduler_label = QLabel(self)
        self.busy_label = QLabel(tr("status.busy"), self)
        self.busy_label.setVisible(False)
        for label in (self.database_label, self.user_label, self.scheduler_label):
            self.addWidget(label)
        self.addWidget(self.busy_label)
        self.lights: dict[str, HealthLight] = {}
        self._names = self._enabled_integrations()
        for name in self._names:
            light = HealthLight(name, LABELS.get(name, name), self)
            self.lights[name] = light
            self.addPermanentWidget(light)
        tasks.busy_changed.connect(self.busy_label.setVisible)
        self._in_flight = False
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.update_scheduler_state()
        # The first health check waits a moment: at start-up the page's first rows come first.
        QTimer.singleShot(FIRST_REFRESH_MS, self, self.refresh)

    def _enabled_integrations(self) -> tuple[str, ...]:
        section = self._services.settings.integrations
        return tuple(name for name in INTEGRATION_NAMES if getattr(section, name).enabled)

    def update_scheduler_state(self) -> None:
        desk = self._services.desk
        if desk is None:
            key = "status.scheduler.none"
        else:
            key = "status.scheduler.running" if desk.running else "status.scheduler.stopped"
        self.scheduler_label.setText(tr(key))

    def refresh(self) -> None:
        """Ask for fresh health facts off the GUI thread (skipped while one is in flight)."""
        self.update_scheduler_state()
        if self._in_flight:
            return
        self._in_flight = True
        self._tasks.run(
            _load_health,
            self._factory,
            self._names,
            on_done=self._show_health,
            on_error=self._health_failed,
            owner=self,
        )

    def stop(self) -> None:
        self._timer.stop()

    def _health_failed(self, error: object) -> None:
        self._in_flight = False
        self.showMessage(str(getattr(error, "message", error)), 10_000)

    def _show_health(self, health: list[queries_health.IntegrationHealth]) -> None:
        self._in_flight = False
        for item in health:
            light = self.lights.get(item.integration)
            if light is None:
                continue
            tooltip = tr(
                "health.tooltip",
                name=LABELS.get(item.integration, item.integration),
                level=tr(f"health.{item.level.value}"),
                last_run=format_datetime(item.last_run_at),
                dead=item.dead_jobs,
                calls=item.calls_15m,
                errors=item.errors_15m,
            )
            light.set_level(item.level.value, tooltip)
