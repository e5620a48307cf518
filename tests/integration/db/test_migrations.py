"""Migrations run both ways on both engines, and the schema they build equals the models."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import westgear_desk.db.models  # noqa: F401
from tests.integration.db import factories
from tests.integration.db.schema_probe import snapshot
from westgear_desk.db import migrate
from westgear_desk.db.base import Base
from westgear_desk.db.session import create_engine_for, make_session_factory, unit_of_work

APP_TABLES = frozenset(Base.metadata.tables)


def test_the_start_up_check_knows_the_newest_shipped_migration() -> None:
    # The start-up check compares against a constant (no Alembic import); a new migration
    # must move it, or every desk would call its own fresh schema "newer than this app".
    assert migrate.head_revision() == migrate.HEAD_REVISION


def test_upgrade_downgrade_upgrade_round_trip(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    after_up = snapshot(empty_url)
    assert after_up.tables == APP_TABLES | {"alembic_version"}
    assert after_up.versions == (migrate.head_revision(),)

    migrate.downgrade(empty_url, "base")
    after_down = snapshot(empty_url)
    assert after_down.tables & APP_TABLES == frozenset()
    assert after_down.versions == ()
    assert migrate.current_revision(empty_url) is None
    assert migrate.check_schema(empty_url).state is migrate.SchemaState.EMPTY

    migrate.upgrade(empty_url)
    assert snapshot(empty_url).tables == after_up.tables
    assert migrate.check_schema(empty_url).up_to_date


# SQLite cannot reflect expression indexes (ix_order_lines_sku_lower), so that one index is
# compared on PostgreSQL only; the test below checks SQLite has it.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrated_schema_has_no_drift_from_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_order_lines_have_the_case_blind_sku_index(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_order_lines_sku_lower'"
        else:
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_order_lines_sku_lower'"
        definition = connection.exec_driver_sql(sql).scalar_one()
    assert "lower(" in definition
    if engine.dialect.name == "postgresql":
        assert "text_pattern_ops" in definition


def test_partial_indexes_are_partial(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("jobs")}
    due = indexes["ix_jobs_due"]
    where = due.get("dialect_options", {})
    if engine.dialect.name == "postgresql":
        assert "pending" in str(where.get("postgresql_where"))
    else:
        assert "pending" in str(where.get("sqlite_where"))


def test_check_constraints_are_named_alike_on_both_engines(engine: Engine) -> None:
    names = {ck["name"] for ck in inspect(engine).get_check_constraints("payments")}
    assert {
        "ck_payments_payment_status",
        "ck_payments_captured_within_authorized",
        "ck_payments_refunded_within_captured",
    } <= names


def test_upgrade_of_an_up_to_date_database_changes_nothing(db_url: str) -> None:
    before = snapshot(db_url)
    migrate.upgrade(db_url)
    after = snapshot(db_url)
    assert (after.tables, after.versions) == (before.tables, before.versions)


@pytest.mark.postgres
def test_upgrade_takes_the_migration_lock_on_postgres(pg_url: str) -> None:
    """Two desks starting at once: the advisory lock serialises them, both succeed."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate.upgrade(pg_url)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert snapshot(pg_url).versions == (migrate.head_revision(),)


RECREATE_PRODUCTS = '''"""A later revision that makes SQLite rebuild the products table."""

import sqlalchemy as sa
from alembic import op

revision = "0998_rebuild_products"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.alter_column("name", existing_type=sa.String(300), type_=sa.String(400))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.alter_column("name", existing_type=sa.String(400), type_=sa.String(300))
'''


def test_table_rebuild_keeps_child_rows(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch rebuild drops the parent table; with enforced FKs that would cascade-delete."""
    seeding = create_engine_for(db_url)
    with unit_of_work(make_session_factory(seeding)) as session:
        session.add(factories.variant(factories.product()))
    seeding.dispose()
    migrations = tmp_path / "migrations"
    shutil.copytree(
        migrate.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__")
    )
    script = RECREATE_PRODUCTS.format(head=migrate.head_revision())
    (migrations / "versions" / "0998_rebuild_products.py").write_text(script)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", migrations)

    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "0001_initial")

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM variants")).scalar() == 1
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
