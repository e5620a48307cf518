"""The start-up schema check: refuse newer databases without writing, report older ones.

A "newer app" is simulated faithfully: a copy of our migrations plus one more revision
migrates a real database, which this app (without that revision) must then refuse.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.integration.db.schema_probe import set_version, snapshot
from westgear_desk.db import migrate
from westgear_desk.errors import SchemaMismatchError

FUTURE_REVISION = '''"""A revision only a newer app knows."""

import sqlalchemy as sa
from alembic import op

revision = "0999_future"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("future_flag", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("future_flag")
'''


@pytest.fixture
def newer_migrations(tmp_path: Path) -> Path:
    """A copy of the shipped migrations plus 0999_future: what a newer app would ship."""
    copy = tmp_path / "newer-migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    revision = FUTURE_REVISION.format(head=migrate.head_revision())
    (copy / "versions" / "0999_future.py").write_text(revision)
    return copy


def test_fresh_migrated_database_is_up_to_date(db_url: str) -> None:
    status = migrate.ensure_compatible(db_url)
    assert status.state is migrate.SchemaState.UP_TO_DATE
    assert status.current == status.head == migrate.head_revision()


def test_database_from_newer_app_is_refused_and_untouched(
    db_url: str, newer_migrations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as newer_app:
        newer_app.setattr(migrate, "MIGRATIONS_DIR", newer_migrations)
        migrate.upgrade(db_url)
    before = snapshot(db_url)
    assert before.versions == ("0999_future",)

    assert migrate.check_schema(db_url).state is migrate.SchemaState.AHEAD
    with pytest.raises(migrate.SchemaNewerError) as caught:
        migrate.ensure_compatible(db_url)

    message = str(caught.value)
    assert "0999_future" in message
    assert "nyare" in message  # Swedish
    assert "newer" in message  # English
    assert "postgres@" not in message
    assert isinstance(caught.value, SchemaMismatchError)
    assert snapshot(db_url) == before


def test_stamped_unknown_revision_is_refused_and_untouched(db_url: str) -> None:
    set_version(db_url, "ffffffffffff")
    before = snapshot(db_url)
    with pytest.raises(migrate.SchemaNewerError):
        migrate.ensure_compatible(db_url)
    assert snapshot(db_url) == before


def test_older_database_is_reported_behind_with_migrate_hint(
    db_url: str, newer_migrations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This app's database, opened by a newer app that knows one more revision."""
    current_head = migrate.head_revision()
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer_migrations)
    monkeypatch.setattr(migrate, "HEAD_REVISION", "0999_future")  # a newer app's constant

    status = migrate.check_schema(db_url)
    assert status.state is migrate.SchemaState.BEHIND
    assert (status.current, status.head) == (current_head, "0999_future")
    with pytest.raises(migrate.SchemaBehindError) as caught:
        migrate.ensure_compatible(db_url)
    message = str(caught.value)
    assert "westgear-desk migrate" in message
    assert "Kör" in message
    assert "Run" in message

    migrate.upgrade(db_url)
    assert migrate.ensure_compatible(db_url).current == "0999_future"
    migrate.downgrade(db_url, current_head)
    assert migrate.current_revision(db_url) == current_head


def test_empty_database_is_behind_and_stays_empty(empty_url: str) -> None:
    before = snapshot(empty_url)
    with pytest.raises(migrate.SchemaBehindError) as caught:
        migrate.ensure_compatible(empty_url)
    assert caught.value.status.state is migrate.SchemaState.EMPTY
    assert snapshot(empty_url) == before
    assert migrate.current_revision(empty_url) is None


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "absent.db"
    with pytest.raises(migrate.SchemaBehindError):
        migrate.ensure_compatible(f"sqlite:///{path}")
    assert not path.exists()
    assert not path.parent.exists()


def test_foreign_tables_without_version_are_unversioned(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE somebody_elses (id INTEGER)")
    connection.close()
    with pytest.raises(migrate.SchemaBehindError) as caught:
        migrate.ensure_compatible(sqlite_url)
    assert caught.value.status.state is migrate.SchemaState.UNVERSIONED
    assert "ingen schemaversion" in str(caught.value)


def test_upgrade_refuses_a_newer_database_without_writing(db_url: str) -> None:
    set_version(db_url, "ffffffffffff")
    before = snapshot(db_url)
    with pytest.raises(migrate.SchemaNewerError, match="ffffffffffff"):
        migrate.upgrade(db_url)
    assert snapshot(db_url) == before
