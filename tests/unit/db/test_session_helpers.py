"""Engine construction and the status-bar description, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from westgear_desk.db.session import (
    PG_POOL_SIZE,
    create_engine_for,
    describe_database,
    is_postgres,
    make_session_factory,
)


def test_describe_sqlite_names_the_file(tmp_path: Path) -> None:
    assert describe_database(f"sqlite:///{tmp_path}/w.db") == f"SQLite: {tmp_path}/w.db"


def test_describe_postgres_never_shows_the_password() -> None:
    url = "postgresql+psycopg://desk:S3cr3t-pw@db.westgear.local:6543/westgear"
    described = describe_database(url)
    assert described == "PostgreSQL: db.westgear.local:6543/westgear"
    assert "S3cr3t" not in described
    assert "desk" not in described


def test_describe_postgres_defaults_the_port() -> None:
    assert describe_database("postgresql://h/db") == "PostgreSQL: h:5432/db"


def test_postgres_engine_settings_without_connecting() -> None:
    engine = create_engine_for("postgresql://desk:pw@127.0.0.1:1/westgear")
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool.size() == PG_POOL_SIZE  # type: ignore[attr-defined]
        assert engine.pool._pre_ping is True  # type: ignore[attr-defined]
        assert is_postgres(engine)
    finally:
        engine.dispose()


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        create_engine_for("mysql://x@y/z")


def test_sqlite_engine_and_factory(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/a/b.db")
    try:
        assert not is_postgres(engine)
        factory = make_session_factory(engine)
        assert factory.kw["expire_on_commit"] is False
        with factory() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
            assert not is_postgres(session)
        assert (tmp_path / "a" / "b.db").exists()
    finally:
        engine.dispose()
