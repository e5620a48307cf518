"""Test databases: one PostgreSQL server and one migrated template per session, a copy per test.

Migrating 30-odd tables for every test would dominate the run time, so the schema is built
once into a template (PostgreSQL ``CREATE DATABASE … TEMPLATE``; SQLite: a file copy) and
each test gets its own clean, migrated database in milliseconds. Names carry the pid and a
random token, so several engineers and sessions can share one server.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from westgear_desk.db.migrate import upgrade
from westgear_desk.db.session import create_engine_for, make_session_factory

ENV_DATABASE_URL = "WESTGEAR_TEST_DATABASE_URL"
ENV_REQUIRE_POSTGRES = "WESTGEAR_REQUIRE_POSTGRES"
_TOKEN = f"{os.getpid()}_{secrets.token_hex(3)}"
_COUNTER = itertools.count(1)


def unique_db_name(prefix: str = "wgt") -> str:
    """A database name no other session on the same server will pick."""
    return f"{prefix}_{_TOKEN}_{next(_COUNTER)}"


class ThrowawayCluster:
    """A private PostgreSQL cluster (initdb + pg_ctl) in a temp dir, on a free loopback port.

    Trust auth, no fsync: test data only. Run as the ``postgres`` user when we are root,
    because initdb refuses to run as root.
    """

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="wg-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self._started = False

    def start(self) -> str:
        """Create and start the cluster; return its admin URL."""
        _share_with_postgres_user(self.base)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip
        self._started = True
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its files."""
        if self._started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self._started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self) -> str:
        log = self.base / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _run(self, tool: str, *args: str) -> None:
        command = [shutil.which(tool) or tool, *args]
        if os.name == "posix" and os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _share_with_postgres_user(path: Path) -> None:
    if os.name == "posix" and os.geteuid() == 0:
        shutil.chown(path, user="postgres")


def postgres_tools_available() -> bool:
    return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None


class PgServer:
    """Creates and drops databases on a server through an AUTOCOMMIT admin connection."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._engine: Engine = create_engine(
            make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )

    def url_for(self, name: str) -> str:
        """The URL of database `name` on this server (password kept)."""
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, *, template: str | None = None) -> str:
        """Create database `name` (optionally as a copy of `template`) and return its URL."""
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        return self.url_for(name)

    def drop(self, name: str) -> None:
        """Drop database `name`, terminating any connection a test left open."""
        with self._engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')

    def exists(self, name: str) -> bool:
        with self._engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
        return found is not None

    def ping(self) -> None:
        with self._engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self._engine.dispose()


def _no_postgres(reason: str) -> NoReturn:
    if os.environ.get(ENV_REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{reason} ({ENV_REQUIRE_POSTGRES}=1, so this is a failure)", pytrace=False)
    pytest.skip(f"{reason}; set {ENV_DATABASE_URL} to run PostgreSQL tests")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a database on a PostgreSQL server where tests may CREATE DATABASE.

    From WESTGEAR_TEST_DATABASE_URL if set, else a throwaway cluster started with
    initdb/pg_ctl for this session; skipped (failed if WESTGEAR_REQUIRE_POSTGRES=1) when
    neither is possible.
    """
    configured = os.environ.get(ENV_DATABASE_URL)
    if configured:
        yield make_url(configured).render_as_string(hide_password=False)
        return
    if not postgres_tools_available():
        _no_postgres(f"no PostgreSQL: {ENV_DATABASE_URL} is unset and initdb/pg_ctl not on PATH")
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        _no_postgres(f"could not start a throwaway PostgreSQL cluster: {exc} {detail!r}")
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server(pg_admin_url: str) -> Iterator[PgServer]:
    """Admin helper to create and drop databases on the test server."""
    server = PgServer(pg_admin_url)
    try:
        server.ping()
    except OperationalError as exc:
        server.close()
        _no_postgres(f"PostgreSQL at {make_url(pg_admin_url)!r} does not answer: {exc}")
    yield server
    server.close()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """Name of a database migrated to head once per session, copied for each test."""
    name = unique_db_name("wgtpl")
    url = pg_server.create(name)
    try:
        upgrade(url)
        yield name
    finally:
        pg_server.drop(name)


@contextlib.contextmanager
def _temporary_pg_database(server: PgServer, template: str | None) -> Iterator[str]:
    name = unique_db_name()
    url = server.create(name, template=template)
    try:
        yield url
    finally:
        server.drop(name)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    with _temporary_pg_database(pg_server, None) as url:
        yield url


@pytest.fixture
def migrated_pg_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """URL of a fresh PostgreSQL database at the head revision, dropped after the test."""
    with _temporary_pg_database(pg_server, pg_template) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet (an empty database)."""
    return f"sqlite:///{tmp_path / 'westgear.db'}"


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """URL of a fresh SQLite file at the head revision, in the test's tmp_path."""
    target = tmp_path / "westgear.db"
    copy_sqlite_file(sqlite_template, target)
    return f"sqlite:///{target}"


def copy_sqlite_file(source: Path, target: Path) -> None:
    """Copy a SQLite database including a WAL file that was not checkpointed."""
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """URL of a fresh migrated database, once on SQLite and once on PostgreSQL."""
    fixture = "migrated_sqlite_url" if request.param == "sqlite" else "migrated_pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An application engine (same settings as production) on `db_url`."""
    created = create_engine_for(db_url)
    yield created
    created.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The application's session factory bound to `engine`."""
    return make_session_factory(engine)
