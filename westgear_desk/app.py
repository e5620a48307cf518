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

    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.settings import Settings
    from westgear_desk.sync.desk import Desk


@dataclass
class AppServices:
    """What the window and its pages are handed. `desk` is the engine this process runs, if any."""

    settings: Settings
    database_url: str
    engine: Engine
    session_factory: sessionmaker[Session]
    desk: Desk | None = None


def sign_in_current_user(services: AppServices, username: str | None = None) -> CurrentUser:
    """Sign in the OS user (or `username`). The very first user of a new database becomes admin.

    Raises UnknownUserError when users exist but this one is not among them (an admin adds it).
    """
    import getpass

    from sqlalchemy import func, select

    from westgear_desk.db.enums import UserRole
    from westgear_desk.db.models import User
    from westgear_desk.db.session import unit_of_work
    from westgear_desk.services.auth import ensure_user, sign_in

    name = username or getpass.getuser()
    with unit_of_work(services.session_factory) as session:
        if not session.scalar(select(func.count(User.id))):
            return ensure_user(session, name, UserRole.ADMIN)
    return sign_in(services.session_factory, name)


def start_desk(services: AppServices) -> Desk:
    """Build and start this process's engine (scheduler, job worker, inbox) for the window."""
    from westgear_desk.sync.desk import Desk

    desk = Desk.for_settings(services.settings, services.session_factory)
    desk.start()
    services.desk = desk
    return desk


def build_services(settings: Settings) -> AppServices:
    """Build the database side of the app (refuses a schema it does not know)."""
    from westgear_desk.db.migrate import ensure_compatible
    from westgear_desk.db.session import create_engine_for, make_session_factory

    url = settings.resolved_database_url()
    ensure_compatible(url)
    engine = create_engine_for(url)
    return AppServices(settings, url, engine, make_session_factory(engine))


def run_desktop(settings: Settings, *, start_engine: bool = True) -> int:
    """Start Qt, check the schema (offering to migrate), sign in, show the main window, start
    the engine, run the loop, and stop the engine when the window closes.

    The engine (scheduler, job worker, inbox: ~1 s of imports and start-up) starts in the
    TaskRunner once the window is up, so the desk opens that much sooner; the status bar
    shows the scheduler as stopped until it runs, and a failure to start lands in the
    window's error banner.
    """
    from PySide6.QtWidgets import QApplication, QMessageBox

    from westgear_desk.errors import KnownError, SchemaMismatchError
    from westgear_desk.log import configure_logging
    from westgear_desk.paths import log_dir
    from westgear_desk.ui.i18n import set_language
    from westgear_desk.ui.main_window import MainWindow

    configure_logging(log_dir())
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("WestGear Desk")
    app.setOrganizationName("WestGear")
    set_language(settings.locale)
    try:
        services = build_services(settings)
    except SchemaMismatchError as exc:
        if not _offer_migration(settings, str(exc)):
            return 2
        services = build_services(settings)
    except KnownError as exc:
        QMessageBox.critical(None, "WestGear Desk", str(exc))
        return 2
    try:
        user = sign_in_current_user(services)
    except KnownError as exc:
        QMessageBox.critical(None, "WestGear Desk", str(exc))
        return 2
    window = MainWindow(services, user)
    window.show()
    if start_engine:  # in the background: the window is usable while the engine loads
        window.tasks.run(
            start_desk,
            services,
            on_done=lambda _desk: window.status.update_scheduler_state(),
            owner=window,
        )
    try:
        code = app.exec()
    finally:
        window.tasks.wait_for_done()  # an engine still starting finishes before it is stopped
        if services.desk is not None:
            services.desk.stop()
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
