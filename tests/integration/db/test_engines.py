"""Engines as the app configures them: SQLite WAL, enforced FKs, one writer; PostgreSQL names."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from westgear_desk.db.models import Brand
from westgear_desk.db.session import (
    create_engine_for,
    make_session_factory,
    reader_engine,
    unit_of_work,
)


@pytest.fixture
def sqlite_engine(migrated_sqlite_url: str) -> Engine:
    engine = create_engine_for(migrated_sqlite_url)
    yield engine
    engine.dispose()


def test_pragmas_are_in_force(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == 15000
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_parent_directory_is_created(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "westgear.db"
    engine = create_engine_for(f"sqlite:///{target}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    finally:
        engine.dispose()
    assert target.exists()


def test_second_writer_waits_and_fails_when_lock_is_held(migrated_sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: the write lock is taken at BEGIN, so writers never interleave."""
    holder = create_engine_for(migrated_sqlite_url)
    impatient = create_engine_for(migrated_sqlite_url, sqlite_busy_timeout_ms=100)
    try:
        with holder.begin() as held:
            held.execute(text("INSERT INTO brands (name) VALUES ('Helly Hansen')"))
            with pytest.raises(OperationalError, match="locked"), impatient.begin():
                pass
            # A reader (DEFERRED) still sees the last committed state while the lock is held.
            with reader_engine(impatient).connect() as reader:
                assert reader.execute(text("SELECT count(*) FROM brands")).scalar() == 0
        with impatient.begin() as later:
            assert later.execute(text("SELECT count(*) FROM brands")).scalar() == 1
    finally:
        holder.dispose()
        impatient.dispose()


def test_concurrent_read_modify_write_never_hits_busy(migrated_sqlite_url: str) -> None:
    """Two threads read then write in one transaction; deferred BEGINs would deadlock here."""
    engine = create_engine_for(migrated_sqlite_url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        session.add(Brand(name="0"))
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with unit_of_work(factory) as session:
                    brand = session.scalars(select(Brand)).one()
                    brand.name = str(int(brand.name) + 1)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        with factory() as session:
            assert session.scalars(select(Brand.name)).one() == "50"
            assert session.scalar(select(func.count()).select_from(Brand)) == 1
    finally:
        engine.dispose()


def test_reader_engine_is_the_same_engine_on_postgres_urls() -> None:
    engine = create_engine_for("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert reader_engine(engine) is engine
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_connections_carry_the_application_name(migrated_pg_url: str) -> None:
    engine = create_engine_for(migrated_pg_url, application_name="westgear-desk test-desk")
    try:
        with engine.connect() as connection:
            name = connection.execute(
                text("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            ).scalar()
    finally:
        engine.dispose()
    assert name == "westgear-desk test-desk"
