"""`westgear-desk demo`: the whole desk against in-process sandboxes, in one command.

What it sets up, in order: a fresh SQLite database in a demo directory (temporary unless one
is given), migrated; every system sandbox on loopback with a few hundred products (some
broken, so quarantine has something to show); the first syncs run at once, then one run with
Sharespine failing and a minute of a failing Sharespine event log (so Sync health has a failed
run and dead jobs to retry);
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
import time
from collections.abc import Callable
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
#: Engine modules the demo adds to `flows.ENGINE_MODULES` when this build has them.
DEMO_ENGINE_MODULES: Final = ("westgear_desk.sync.sharespine",)
#: How long the injected fault on Sharespine's event log lasts (jobs posting there die).
FAULT_WINDOW_S: Final = 60.0
#: Flows run once at start, so the first screens are not empty; then one failing run.
KICKOFF_FLOWS: Final = ("catalog", "customers_orders", "orders", "customers")
FAILING_FLOW: Final = "stock_price"
#: How long the kickoff waits for a scheduled run of the failing flow to end before its own.
BUSY_WAIT_S: Final = 120.0
EVENT_LOG: Final = "/api/log/event"
PRODUCTS: Final = "/api/product"


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
    role: UserRole = UserRole.ADMIN


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
    _kickoff_thread: threading.Thread | None = None

    def start(self) -> None:
        """Bring up database, sandboxes, credentials, engine and feed (no Qt involved)."""
        try:
            self.prepare()
            self._start_sandboxes()
            settings = self._settings()
            self.services = _services(settings)
            self.user = _demo_user(self.services, self.options.role)
            self.desk = _start_desk(self.services)
            self._start_feed()
            self._start_kickoff()
        except BaseException:
            self.stop()
            raise

    def prepare(self) -> Path:
        """Create the demo directory (a fresh database each time); return it."""
        if self.directory is not None:
            return self.directory
        if self.options.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="westgear-demo-"))
            self._temporary = True
        else:
            self.directory = self.options.directory
            self.directory.mkdir(parents=True, exist_ok=True)
            for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
                (self.directory / name).unlink(missing_ok=True)
        return self.directory

    def _start_sandboxes(self) -> None:
        config = SandboxConfig(
            products=self.options.products, broken_share=self.options.broken_share
        )
        self.cluster = SandboxCluster(config)
        self.cluster.start()
        store_demo_credentials(self.cluster.describe())

    def _kickoff(self) -> None:
        """Run the first syncs now (Sharespine's event log already failing, so the jobs that
        report quarantined products go to "needs action"), then one stock/price run with
        Sharespine's product listing failing, so Sync health shows a failed run."""
        assert self.desk is not None
        assert self.cluster is not None
        desk, cluster = self.desk, self.cluster
        faulty = self.options.fault_window_s > 0
        if faulty:
            cluster.set_faults("sharespine", error_rate=1.0, only_paths=[EVENT_LOG])
        names = desk.flows.names()
        for name in KICKOFF_FLOWS:
            if name in names and not desk.stopping:
                desk.runner.run_manual(desk.flows.get(name))
        if not faulty or desk.stopping:
            return
        if FAILING_FLOW in names:
            cluster.set_faults("sharespine", error_rate=1.0, only_paths=[PRODUCTS, EVENT_LOG])
            self._run_when_free(FAILING_FLOW)
            cluster.set_faults("sharespine", error_rate=1.0, only_paths=[EVENT_LOG])
        self._fault_timer = threading.Timer(self.options.fault_window_s, self._lift_faults)
        self._fault_timer.daemon = True
        self._fault_timer.start()

    def _run_when_free(self, name: str) -> None:
        """Run flow `name` now; if its own schedule is running it (the lock is taken), wait
        for that run to end and try again, so the promised run is never silently skipped."""
        from westgear_desk.sync.scheduler import SlotOutcome

        assert self.desk is not None
        desk = self.desk
        deadline = time.monotonic() + BUSY_WAIT_S
        while not desk.stopping:
            _, outcome = desk.runner.run_manual(desk.flows.get(name))
            if outcome is not SlotOutcome.BUSY or time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def _start_kickoff(self) -> None:
        def run() -> None:
            try:
                self._kickoff()
            except Exception:  # the demo keeps running on its schedules; the log has why
                _log.exception("demo: the first sync runs failed")

        self._kickoff_thread = threading.Thread(target=run, name="demo-kickoff", daemon=True)
        self._kickoff_thread.start()

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
        if self._kickoff_thread is not None:
            self._kickoff_thread.join(15.0)
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
        "sharespine": {"base_url": f"{url['sharespine']}/api", "timeout_s": 10},
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
        # Short retries, so a job failing in the fault window is "needs action" within a minute.
        retry={"overrides": {"sharespine": [0.0, 2.0, 4.0]}},
        company={"name": "WestGear AB (demo)"},
    )


def _services(settings: Settings) -> AppServices:
    url = settings.resolved_database_url()
    engine = create_engine_for(url)
    return AppServices(settings, url, engine, make_session_factory(engine))


DEMO_NAMES: Final = {
    UserRole.ADMIN: "Demo Admin",
    UserRole.SALES: "Demo Sälj",
    UserRole.WAREHOUSE: "Demo Lager",
}


def _demo_user(services: AppServices, role: UserRole) -> CurrentUser:
    """The signed-in demo user: `demo-admin`, `demo-sales` or `demo-warehouse`."""
    with unit_of_work(services.session_factory) as session:
        return ensure_user(session, f"demo-{role.value}", role, display_name=DEMO_NAMES[role])


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
    try:
        desk = Desk.for_settings(services.settings, services.session_factory, modules=modules)
    except ImportError:  # a demo module that is not complete in this build: run without it
        _log.exception("demo: an engine module failed to load; running without it")
        modules = [name for name in modules if name not in DEMO_ENGINE_MODULES]
        desk = Desk.for_settings(services.settings, services.session_factory, modules=modules)
    desk.start()
    services.desk = desk
    _log.info("demo engine modules: %s", ", ".join(modules) or "none")
    return desk


def run_demo(options: DemoOptions, announce: Callable[[str], None] | None = None) -> int:
    """Start the demo, show the main window, run until closed (or `quit_after_s`).

    The log goes to the demo directory's ``logs`` folder (failed runs in the demo are on
    purpose, their tracebacks belong in the log); `announce` gets a line saying where.
    """
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from westgear_desk.log import configure_logging
    from westgear_desk.ui.i18n import set_language
    from westgear_desk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setApplicationName("WestGear Desk (demo)")
    set_language(options.locale)
    demo = Demo(options)
    directory = demo.prepare()
    log_file = configure_logging(directory / "logs", console=False)
    if announce is not None:
        announce(f"WestGear Desk demo: data in {directory}, log in {log_file}")
    demo.start()
    try:
        assert demo.services is not None
        assert demo.user is not None
        layout = QSettings(str(directory / "layout.ini"), QSettings.Format.IniFormat)
        window = MainWindow(demo.services, demo.user, qsettings=layout)
        window.show()
        if options.quit_after_s is not None:
            QTimer.singleShot(int(options.quit_after_s * 1000), window.close)
        code = int(app.exec())
    finally:
        demo.stop()
    return code
