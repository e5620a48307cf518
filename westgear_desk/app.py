"""The composition root: the one place that wires settings, database, clients, scheduler and UI.

Nothing else builds engines, clients or the scheduler; everything below receives what it needs
from here (see STYLE.md, "one composition root").
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from westgear_desk.settings import Settings


@dataclass
class AppServices:
    """What the window and its pages are handed."""

    settings: Settings
    database_url: str
    engine: Engine
    session_factory: sessionmaker[Session]


def build_services(settings: Settings) -> AppServices:
    """Build the database side of the app (refuses a schema it does not know)."""
    from westgear_desk.db.migrate import ensure_compatible
    from westgear_desk.db.session import create_engine_for, make_session_factory

    url = settings.resolved_database_url()
    ensure_compatible(url)
    engine = create_engine_for(url)
    return AppServices(settings, url, engine, make_session_factory(engine))


def run_desktop(settings: Settings) -> int:
    """Start Qt, check the schema (offering to migrate), show the main window, run the loop."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from westgear_desk.errors import KnownError, SchemaMismatchError
    from westgear_desk.log import configure_logging
    from westgear_desk.paths import log_dir
    from westgear_desk.ui.main_window import MainWindow

    configure_logging(log_dir())
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("WestGear Desk")
    app.setOrganizationName("WestGear")
    try:
        services = build_services(settings)
    except SchemaMismatchError as exc:
        if not _offer_migration(settings, str(exc)):
            return 2
        services = build_services(settings)
    except KnownError as exc:
        QMessageBox.critical(None, "WestGear Desk", str(exc))
        return 2
    window = MainWindow(services)
    window.show()
    code = app.exec()
    services.engine.dispose()
    return int(code)


def _offer_migration(settings: Settings, message: str) -> bool:
    """Ask whether to migrate a database that is behind; a newer one is only reported."""
    from PySide6.QtWidgets import QMessageBox

    from westgear_desk.db.migrate import SchemaState, check_schema, upgrade

    url = settings.resolved_database_url()
    status = check_schema(url)
    if status.state not in {SchemaState.BEHIND, SchemaState.EMPTY}:
        QMessageBox.critical(None, "WestGear Desk", message)
        return False
    answer = QMessageBox.question(
        None,
        "WestGear Desk",
        f"{message}\n\nUppgradera databasen nu? / Upgrade the database now?",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    upgrade(url)
    return True
