"""`westgear-desk` as a user runs it: --version, migrate, doctor, a refused newer schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from westgear_desk.db.migrate import check_schema, head_revision


def _run(args: list[str], tmp_path: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WESTGEAR_DATA_DIR": str(tmp_path / "data"),
        "WESTGEAR_CONFIG_DIR": str(tmp_path / "config"),
        "WESTGEAR_LOG_DIR": str(tmp_path / "log"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "westgear_desk.credentials.MemoryKeyring",
        **extra_env,
    }
    env.pop("WESTGEAR_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "westgear_desk.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    done = _run(["--version"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("westgear-desk ")


def test_migrate_reaches_head_on_the_default_sqlite_file(tmp_path: Path) -> None:
    done = _run(["migrate"], tmp_path)
    assert done.returncode == 0, done.stderr
    database = tmp_path / "data" / "westgear.sqlite3"
    assert database.exists()
    assert check_schema(f"sqlite:///{database}").up_to_date


@pytest.mark.postgres
def test_migrate_reaches_head_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    done = _run(["migrate", "--database-url", pg_url], tmp_path)
    assert done.returncode == 0, done.stderr
    assert head_revision() in done.stdout
    assert check_schema(pg_url).up_to_date


def test_doctor_passes_on_a_healthy_setup(tmp_path: Path, migrated_sqlite_url: str) -> None:
    done = _run(["doctor", "--json", "--database-url", migrated_sqlite_url], tmp_path)
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert done.returncode == 0, rows
    assert set(rows) == {"database", "schema", "keyring", "qt", "data directory", "log directory"}
    assert all(row["ok"] for row in rows.values())


def test_doctor_names_an_unreachable_postgresql(tmp_path: Path) -> None:
    dead = "postgresql+psycopg://postgres@127.0.0.1:9/westgear"  # port 9: nothing listens
    done = _run(["doctor", "--database-url", dead], tmp_path)
    assert done.returncode == 1
    database_line = next(line for line in done.stdout.splitlines() if " database " in line)
    assert database_line.startswith("FAIL")
    assert "unreachable" in database_line


def test_doctor_names_an_unusable_keyring(tmp_path: Path, migrated_sqlite_url: str) -> None:
    done = _run(
        ["doctor", "--database-url", migrated_sqlite_url],
        tmp_path,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    assert done.returncode == 1
    keyring_line = next(line for line in done.stdout.splitlines() if " keyring " in line)
    assert keyring_line.startswith("FAIL")


def test_a_newer_schema_is_refused_and_left_untouched(
    tmp_path: Path, migrated_sqlite_url: str
) -> None:
    engine = sa.create_engine(migrated_sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    before = _dump(migrated_sqlite_url)
    for command in (["migrate"], ["jobs", "list"]):
        done = _run([*command, "--database-url", migrated_sqlite_url], tmp_path)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "9999_future" in done.stderr
        assert "Traceback" not in done.stderr
    with engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == "9999_future"
        )
    engine.dispose()
    assert _dump(migrated_sqlite_url) == before


def _dump(sqlite_url: str) -> list[str]:
    """Every schema object and row of the database, as SQL text."""
    import sqlite3

    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        return list(connection.iterdump())
    finally:
        connection.close()
