"""Installation checks behind `westgear-desk doctor`: each answers "can this desk work here?"."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from westgear_desk.errors import WestgearError


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the doctor's table."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_database(url: str) -> CheckResult:
    """The database answers a trivial query."""
    from westgear_desk.db.session import create_engine_for, describe_database

    where = describe_database(url)
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else type(exc).__name__
        return CheckResult("database", False, f"{where}: unreachable ({reason.splitlines()[0]})")
    finally:
        engine.dispose()
    return CheckResult("database", True, where)


def check_schema_revision(url: str) -> CheckResult:
    """The schema revision is the one this app knows."""
    from westgear_desk.db.migrate import check_schema

    try:
        status = check_schema(url)
    except (SQLAlchemyError, WestgearError) as exc:
        return CheckResult("schema", False, f"cannot read the revision: {type(exc).__name__}")
    if status.up_to_date:
        return CheckResult("schema", True, f"at {status.current} (newest known)")
    return CheckResult(
        "schema",
        False,
        f"{status.state.value}: at {status.current or 'nothing'}, app needs "
        f"{status.head} (run 'westgear-desk migrate' if behind)",
    )


def check_keyring() -> CheckResult:
    """The keyring backend can store and read back a probe secret."""
    from westgear_desk.credentials import CredentialStore

    store = CredentialStore()
    ok, message = store.check_usable()
    first_sentence = message.split(". ")[0].rstrip(".")
    hint = "" if ok else " (headless desks can use WESTGEAR_SECRET_* variables instead)"
    return CheckResult("keyring", ok, f"{store.backend_name()}: {first_sentence}{hint}")


_QT_PROBE = (
    "from PySide6.QtWidgets import QApplication\n"
    "app = QApplication([])\n"
    "print(app.platformName())\n"
)


def check_qt_platform() -> CheckResult:
    """Qt's platform plugin loads (probed in a child process: a failing plugin aborts)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _QT_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return CheckResult("qt", False, "the Qt probe did not finish within 60 s")
    if done.returncode == 0:
        return CheckResult("qt", True, f"platform plugin '{done.stdout.strip()}' loads")
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    hint = "" if os.environ.get("QT_QPA_PLATFORM") else " (headless? set QT_QPA_PLATFORM=offscreen)"
    return CheckResult("qt", False, f"platform plugin failed: {last}{hint}")


def check_writable(name: str, directory: Path) -> CheckResult:
    """A directory the app writes to exists (or can be made) and accepts a file."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-", delete=True):
            pass
    except OSError as exc:
        return CheckResult(name, False, f"{directory}: not writable ({exc.strerror})")
    return CheckResult(name, True, str(directory))


def run_checks(database_url: str) -> list[CheckResult]:
    """Run every check; a check that raises unexpectedly is reported, never hidden."""
    from westgear_desk import paths

    checks: list[tuple[str, Callable[[], CheckResult]]] = [
        ("database", lambda: check_database(database_url)),
        ("schema", lambda: check_schema_revision(database_url)),
        ("keyring", check_keyring),
        ("qt", check_qt_platform),
        ("data directory", lambda: check_writable("data directory", paths.data_dir())),
        ("log directory", lambda: check_writable("log directory", paths.log_dir())),
    ]
    results = []
    for name, check in checks:
        try:
            results.append(check())
        except Exception as exc:  # the doctor reports every failure as a row
            results.append(CheckResult(name, False, f"{type(exc).__name__}: {exc}"))
    return results
