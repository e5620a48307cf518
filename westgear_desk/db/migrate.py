"""Schema migrations without an alembic.ini: upgrade, downgrade, and the start-up version check.

The check opens the database read-only (SQLite ``mode=ro``, PostgreSQL read-only
transactions), so looking at a database newer than this app never writes to it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from westgear_desk.db.session import create_engine_for, describe_database
from westgear_desk.errors import SchemaMismatchError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
#: The newest revision in `migrations/versions` (a test keeps the two equal). The schema check
#: every start runs compares against this constant, so it never imports Alembic (a third of a
#: second of the desk's start-up); Alembic is loaded only to migrate or when they differ.
HEAD_REVISION: Final = "0003_order_line_sku_search"
#: Key of the PostgreSQL advisory lock that keeps two desks from migrating at once.
_MIGRATION_LOCK_KEY = 0x57_47_44_4D  # "WGDM"


class SchemaState(enum.StrEnum):
    UP_TO_DATE = "up_to_date"
    BEHIND = "behind"
    AHEAD = "ahead"  # a revision this app does not know: written by a newer version
    EMPTY = "empty"  # no tables at all
    UNVERSIONED = "unversioned"  # tables, but no alembic_version: not ours


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands relative to this application's migrations."""

    state: SchemaState
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.state is SchemaState.UP_TO_DATE


class SchemaNewerError(SchemaMismatchError):
    """The database was migrated by a newer version of the application."""

    def __init__(self, message: str, status: SchemaStatus) -> None:
        super().__init__(message)
        self.status = status


class SchemaBehindError(SchemaMismatchError):
    """The database needs `westgear-desk migrate` (it is older, empty or unversioned)."""

    def __init__(self, message: str, status: SchemaStatus) -> None:
        super().__init__(message)
        self.status = status


def alembic_config(url: str | URL | None = None) -> Config:
    """Build the Alembic configuration in code, pointing at the migrations in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = make_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision of the shipped migration scripts (read with Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are shipped with this application")
    return head


@contextmanager
def _migration_connection(url: str | URL) -> Iterator[Connection]:
    """One transaction for the whole migration, exclusive against other migrating desks.

    SQLite: foreign keys are switched off for the migration (the documented procedure for
    schema changes, since batch mode drops and recreates tables and a DROP with enforced
    foreign keys would cascade into child rows) and checked with `foreign_key_check`
    before the commit.
    """
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _set_sqlite_foreign_keys(connection, enabled=False)
            with connection.begin():
                if sqlite:
                    yield connection
                    _raise_on_foreign_key_violations(connection)
                else:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                    yield connection
            if sqlite:
                _set_sqlite_foreign_keys(connection, enabled=True)
    finally:
        engine.dispose()


def _set_sqlite_foreign_keys(connection: Connection, *, enabled: bool) -> None:
    # Must run outside a transaction (SQLite ignores it inside one), so go to the driver.
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        raise RuntimeError("no DBAPI connection")
    dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def _raise_on_foreign_key_violations(connection: Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if violations:
        sample = ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in violations[:5])
        raise RuntimeError(f"migration left {len(violations)} broken foreign keys: {sample}")


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database up to `revision` in one transaction (one desk at a time).

    Raises `SchemaNewerError` (and changes nothing) if a newer app already migrated it.
    """
    with _migration_connection(url) as connection:
        _refuse_unknown_revision(connection, url)
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database down to `revision` ("base" removes every table)."""
    with _migration_connection(url) as connection:
        _refuse_unknown_revision(connection, url)
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _refuse_unknown_revision(connection: Connection, url: str | URL) -> None:
    current = _stamped_revision(connection)
    if current is None:
        return
    head = HEAD_REVISION
    if _classify(current, head, has_tables=True) is SchemaState.AHEAD:
        status = SchemaStatus(SchemaState.AHEAD, current, head)
        raise SchemaNewerError(_newer_message(describe_database(url), status), status)


def _read_only_engine(url: str | URL) -> Engine | None:
    """An engine that cannot write, or None for a SQLite file that does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"} or not Path(database).expanduser().exists():
            return None
        path = Path(database).expanduser().resolve().as_posix()
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        poolclass=NullPool,
        connect_args={
            "options": "-c default_transaction_read_only=on",
            "application_name": "westgear-desk schema check",
            "connect_timeout": 10,
        },
    )


def current_revision(url: str | URL) -> str | None:
    """The revision the database is stamped with, or None when it has none (read-only)."""
    engine = _read_only_engine(url)
    if engine is None:
        return None
    try:
        with engine.connect() as connection:
            return _stamped_revision(connection)
    finally:
        engine.dispose()


def _stamped_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    stamped = list(versions)
    if len(stamped) > 1:  # branched history: let Alembic report it in its own words
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()
    return str(stamped[0]) if stamped else None


def check_schema(url: str | URL) -> SchemaStatus:
    """Compare the database's revision with this application's head, without writing."""
    head = HEAD_REVISION
    engine = _read_only_engine(url)
    if engine is None:
        return SchemaStatus(SchemaState.EMPTY, None, head)
    try:
        with engine.connect() as connection:
            current = _stamped_revision(connection)
            tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
    finally:
        engine.dispose()
    return SchemaStatus(_classify(current, head, has_tables=bool(tables)), current, head)


def _classify(current: str | None, head: str, *, has_tables: bool) -> SchemaState:
    if current is None:
        return SchemaState.UNVERSIONED if has_tables else SchemaState.EMPTY
    if current == head:
        return SchemaState.UP_TO_DATE
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in scripts.walk_revisions()}
    return SchemaState.BEHIND if current in known else SchemaState.AHEAD


def ensure_compatible(url: str | URL) -> SchemaStatus:
    """Return the status if the schema is exactly what this app expects, else raise.

    Raises `SchemaNewerError` for a database from a newer app version (nothing is written)
    and `SchemaBehindError` for an older, empty or unversioned one (run the migration).
    Both are `SchemaMismatchError`s with a message in Swedish and English.
    """
    status = check_schema(url)
    if status.state is SchemaState.UP_TO_DATE:
        return status
    where = describe_database(url)
    if status.state is SchemaState.AHEAD:
        raise SchemaNewerError(_newer_message(where, status), status)
    raise SchemaBehindError(_behind_message(where, status), status)


def _newer_message(where: str, status: SchemaStatus) -> str:
    return (
        f"Databasen ({where}) har schemaversion {status.current}, som är nyare än den här "
        f"versionen av WestGear Desk känner till (senaste: {status.head}). Uppdatera "
        "programmet. Databasen har inte ändrats.\n"
        f"The database ({where}) is at schema revision {status.current}, newer than this "
        f"version of WestGear Desk knows (latest: {status.head}). Update the application. "
        "The database was not changed."
    )


def _behind_message(where: str, status: SchemaStatus) -> str:
    if status.state is SchemaState.UNVERSIONED:
        sv_state = "har tabeller men ingen schemaversion"
        en_state = "has tables but no schema revision"
    elif status.current is None:
        sv_state, en_state = "är tom", "is empty"
    else:
        sv_state = f"har schemaversion {status.current}"
        en_state = f"is at schema revision {status.current}"
    return (
        f"Databasen ({where}) {sv_state}, men programmet behöver {status.head}. Kör "
        "'westgear-desk migrate' för att uppdatera databasen.\n"
        f"The database ({where}) {en_state}, but the application needs {status.head}. Run "
        "'westgear-desk migrate' to upgrade the database."
    )
