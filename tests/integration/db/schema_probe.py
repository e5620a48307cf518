"""Read-only snapshots of a database, to prove that a check wrote nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@dataclass(frozen=True)
class Snapshot:
    tables: frozenset[str]
    versions: tuple[str, ...]
    file_digest: str | None


def snapshot(url: str) -> Snapshot:
    """Tables, alembic_version rows and (SQLite) the file's digest, read without our engine."""
    parsed = make_url(url)
    digest = None
    if parsed.get_backend_name() == "sqlite":
        path = Path(str(parsed.database))
        if not path.exists():
            return Snapshot(frozenset(), (), None)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = frozenset(inspect(connection).get_table_names())
            versions: tuple[str, ...] = ()
            if "alembic_version" in tables:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                versions = tuple(sorted(row[0] for row in rows))
    finally:
        engine.dispose()
    return Snapshot(tables, versions, digest)


def set_version(url: str, revision: str) -> None:
    """Stamp a database with `revision` by hand, as a newer or older app would have."""
    engine = create_engine(make_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :rev"), {"rev": revision}
            )
    finally:
        engine.dispose()
