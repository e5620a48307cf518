"""`westgear-desk demo`: the whole desk against in-process sandboxes, in one command.

What it sets up, in order: a fresh SQLite database in a demo directory (temporary unless one
is given), migrated; every system sandbox on loopback with a few hundred products (some
broken, so quarantine has something to show) and an injected fault on Sharespine's order
listing for the first minute (so one sync run fails and Sync health has something to retry);
the sandbox credentials in an in-memory keyring (never the OS keyring); settings pointing at
the sandboxes with short schedules; the engine (`Desk`) with every engine module this build
has; a feed of new orders and stock changes; and the main window signed in as an admin.
This module may import `sandbox/` (the demo is one of its three allowed users).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from westgear_desk.app import AppServices
from westgear_desk.db.enums import UserRole
from westgear_desk.db.migrate import upgrade
from westgear_desk.db.session import create_engine_for, make_session_factory, unit_of_work
from westgear_desk.demo_feed import DemoFeed
from westgear_desk.sandbox.cluster import SandboxCluster
from westgear_desk.sandbox.common import SandboxConfig
from westgear_desk.services.auth import CurrentUser, ensure_user
from westgear_desk.settings import Settings, load_settings

if TYPE_CHECKING:
    from westgear_desk.sync.desk import Desk

_log = logging.getLogger(__name__)
DEMO_USER: Final = "demo-admin"
#: Engine modules the demo adds to `flows.ENGINE_MODULES` when this build has them.
DEMO_ENGINE_MODULES: Final = ("westgear_desk.sync.sharespine",)
#: How long the injected fault on Sharespine's order listing lasts.
FAULT_WINDOW_S: Final = 45.0
FAULTED_PATHS: Final = ["/api/order"]


@dataclass
class DemoOptions:
    """Command-line knobs of the demo."""

    products: int = 300
    directory: Path | None = None
    quit_after_s: float | None = None
    feed_interval_s: float = 6.0
    fault_window_s: float = FAULT_WINDOW_S
    locale: str = "sv"
    broken_share: float = 0.06


@dataclass
class Demo:
    """Everything the demo runs; `start()` brings it up, `stop()` takes it all down again."""

    options: DemoOptions = field(default_factory=DemoOptions)
    directory: Path | None = None
    cluster: SandboxCluster | None = None
    services: AppServices | None = None
    desk: Desk | None = None
    feed: DemoFeed | None = None
    user: CurrentUser | None = None
    _temporary: bool = False
    _fault_timer: threading.Timer | None = None

    def start(self) -> None:
        """Bring up database, sandboxes, credentials, engine and feed (no Qt involved)."""
        try:
            self._make_directory()
            self._start_sandboxes()
            settings = self._settings()
            self.services = _services(settings)
            self.user = _admin(self.services)
            self.desk = _start_desk(self.services)
            self._start_feed()
        except BaseException:
            self.stop()
            raise

    def _make_directory(self) -> None:
        if self.options.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="westgear-demo-"))
            self._temporary = True
        else:
            self.directory = self.options.directory
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / "demo.db").unlink(missing_ok=True)

    def _start_sandboxes(self) -> None:
        config = SandboxConfig(
            products=self.options.products, broken_share=self.options.broken_share
        )
        self.cluster = SandboxCluster(config)
        self.cluster.start()
        store_demo_credentials(self.cluster.describe())
        if self.options.fault_window_s > 0:
            self.cluster.set_faults("sharespine", error_rate=1.0, only_paths=FAULTED_PATHS)
            self._fault_timer = threading.Timer(self.options.fault_window_s, self._lift_faults)
            self._fault_timer.daemon = True
            self._fault_timer.start()

    def _lift_faults(self) -> None:
        if self.cluster is not None:
            with contextlib.suppress(Exception):  # the demo may be stopping right now
                self.cluster.set_faults("sharespine")
                _log.info("demo: the injected Sharespine fault is lifted")

    def _settings(self) -> Settings:
        assert self.directory is not None
        assert self.cluster is not None
        url = f"sqlite:///{self.directory / 'demo.db'}"
        upgrade(url)
        return demo_settings(self.cluster.describe(), url, self.directory, self.options.locale)

    def _start_feed(self) -> None:
        assert self.cluster is not None
        self.feed = DemoFeed(
            self.cluster.url("sharespine"), interval_s=self.options.feed_interval_s
        )
        self.feed.discover_products(self.options.products)
        self.feed.start()

    def stop(self) -> None:
        """Stop feed, engine and sandboxes; delete a temporary demo directory."""
        if self._fault_timer is not None:
            self._fault_timer.cancel()
        if self.feed is not None:
            self.feed.stop()
        if self.desk is not None:
            self.desk.stop(timeout=15.0)
        if self.services is not None:
            self.services.engine.dispose()
        if self.cluster is not None:
            self.cluster.stop()
        if self._temporary and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.feed = self.desk = self.cluster = None


def store_demo_credentials(described: dict[str, dict[str, str]]) -> list[str]:
    """Put the sandboxes' credentials into an in-memory keyring; return the names stored."""
    from westgear_desk.credentials import KNOWN_CREDENTIALS, CredentialStore, install_memory_keyring

    install_memory_keyring()
    store = CredentialStore()
    stored = []
    for system, values in described.items():
        for key, value in values.items():
            name = f"{system}.{key}"
            if name in KNOWN_CREDENTIALS:
                store.set(name, value)
                stored.append(name)
    return stored


def demo_settings(
    described: dict[str, dict[str, str]], database_url: str, directory: Path, locale: str
) -> Settings:
    """Settings pointing every integration at its sandbox, with demo-paced schedules."""
    url = {name: values["url"] for name, values in described.items()}
    integrations: dict[str, Any] = {
        "sharespine": {"base_url": url["sharespine"], "timeout_s": 10},
        "fortnox": {"base_url": f"{url['fortnox']}/3", "auth_url": f"{url['fortnox']}/oauth-v1"},
        "klarna": {"base_url": url["klarna"]},
        "postnord": {"base_url": url["postnord"]},
        "dhl": {"base_url": url["dhl"], "tracking_base_url": url["dhl"]},
    }
    if "smtp" in url:
        smtp = urlsplit(url["smtp"])
        integrations["smtp"] = {
            "host": smtp.hostname,
            "port": smtp.port,
            "starttls": False,
            "username": described["smtp"].get("username"),
        }
    schedules = {
        "job_tick_s": 2,
        "inbox_tick_s": 2,
        "stock_price_interval_s": 15,
        "catalog_interval_s": 30,
        "customers_orders_interval_s": 10,
        "tracking_interval_s": 60,
        "misfire_grace_s": 30,
    }
    return load_settings(
        directory / "settings.toml",
        database_url=database_url,
        desk_name="demo",
        locale=locale,
        integrations=integrations,
        schedules=schedules,
        company={"name": "WestGear AB (demo)"},
    )


def _services(settings: Settings) -> AppServices:
    url = settings.resolved_database_url()
    engine = create_engine_for(url)
    return AppServices(settings, url, engine, make_session_factory(engine))


def _admin(services: AppServices) -> CurrentUser:
    with unit_of_work(services.session_factory) as session:
        return ensure_user(session, DEMO_USER, UserRole.ADMIN, display_name="Demo Admin")


def engine_modules_for_demo() -> list[str]:
    """`flows.ENGINE_MODULES` plus the demo's modules that exist in this build."""
    from westgear_desk.sync.flows import ENGINE_MODULES

    names = list(ENGINE_MODULES)
    for name in DEMO_ENGINE_MODULES:
        if name not in names and importlib.util.find_spec(name) is not None:
            names.append(name)
    return names


def _start_desk(services: AppServices) -> Desk:
    from westgear_desk.sync.desk import Desk

    modules = engine_modules_for_demo()
    desk = Desk.for_settings(services.settings, services.session_factory, modules=modules)
    desk.start()
    services.desk = desk
    _log.info("demo engine modules: %s", ", ".join(modules) or "none")
    return desk


def run_demo(options: DemoOptions) -> int:
    """Start the demo, show the main window, run until closed (or `quit_after_s`)."""
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from westgear_desk.ui.i18n import set_language
    from westgear_desk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setApplicationName("WestGear Desk (demo)")
    set_language(options.locale)
    demo = Demo(options)
    demo.start()
    try:
        assert demo.services is not None
        assert demo.user is not None
        assert demo.directory is not None
        layout = QSettings(str(demo.directory / "layout.ini"), QSettings.Format.IniFormat)
        window = MainWindow(demo.services, demo.user, qsettings=layout)
        window.show()
        if options.quit_after_s is not None:
            QTimer.singleShot(int(options.quit_after_s * 1000), window.close)
        code = int(app.exec())
    finally:
        demo.stop()
    return code
