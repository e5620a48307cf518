"""Engines, session factories and the unit of work, tuned for SQLite (one desk) and PostgreSQL.

SQLite write concurrency: every transaction on a SQLite engine starts with ``BEGIN IMMEDIATE``.
A deferred transaction that reads first and writes later must upgrade its lock, and when two
connections try that at once SQLite answers SQLITE_BUSY at once (busy_timeout cannot help,
it would deadlock). Taking the write lock when the transaction begins makes writers queue
politely behind ``busy_timeout`` instead, so there is exactly one writer at a time. WAL keeps
readers outside transactions unblocked. Screens that only read may use `reader_engine`, whose
transactions begin DEFERRED and so never wait for a writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Execution option naming the SQLite BEGIN mode ("IMMEDIATE" or "DEFERRED").
SQLITE_BEGIN_OPTION = "westgear_sqlite_begin"
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 5


def create_engine_for(
    url: str | URL,
    *,
    echo: bool = False,
    application_name: str = "westgear-desk",
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> Engine:
    """Return an engine for a SQLite or PostgreSQL URL, configured as this app needs it.

    SQLite: parent directory created, WAL, foreign keys on, busy timeout, IMMEDIATE
    transactions. PostgreSQL: psycopg 3, pre-ping, a small pool, `application_name` set.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo, busy_timeout_ms=sqlite_busy_timeout_ms)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed, echo=echo, application_name=application_name)
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")


def _sqlite_engine(url: URL, *, echo: bool, busy_timeout_ms: int) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
    pragmas = (*_SQLITE_PRAGMAS, f"PRAGMA busy_timeout={int(busy_timeout_ms)}")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop sqlite3 from issuing its own BEGIN; `_on_sqlite_begin` does it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    if mode not in {"IMMEDIATE", "DEFERRED", "EXCLUSIVE"}:
        raise ValueError(f"unknown SQLite BEGIN mode: {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _postgres_engine(url: URL, *, echo: bool, application_name: str) -> Engine:
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_recycle=1800,
        connect_args={"application_name": application_name, "connect_timeout": 10},
    )


def reader_engine(engine: Engine) -> Engine:
    """Return a view of `engine` whose SQLite transactions begin DEFERRED (read-only work).

    On PostgreSQL it is the same engine. Writing through it on SQLite may fail with
    "database is locked" under contention, so use it for reads only.
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used everywhere (objects stay readable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits when the block succeeds and rolls back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_postgres(bind: Engine | Connection | Session) -> bool:
    """True when the engine, connection or session talks to PostgreSQL."""
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name == "postgresql"
    return bind.dialect.name == "postgresql"


def describe_database(url: str | URL) -> str:
    """Describe a database for the status bar, never revealing a password.

    Returns "SQLite: <file>" or "PostgreSQL: host:port/db".
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite: {parsed.database or ':memory:'}"
    if backend == "postgresql":
        return f"PostgreSQL: {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"
    return f"{backend}: {parsed.render_as_string(hide_password=True)}"
