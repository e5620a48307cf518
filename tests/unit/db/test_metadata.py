"""Rules every model follows, checked over the whole metadata so new tables keep them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, DateTime, Enum, UniqueConstraint

import westgear_desk.db.models  # noqa: F401
from westgear_desk.db.base import Base
from westgear_desk.db.types import UtcDateTime

TABLES = Base.metadata.sorted_tables


def test_every_external_id_is_unique_with_its_source_system() -> None:
    for table in TABLES:
        if "external_id" not in table.c:
            continue
        assert "source_system" in table.c, table.name
        unique_sets = [
            {c.name for c in constraint.columns}
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        assert any({"source_system", "external_id"} <= cols for cols in unique_sets), table.name


def test_every_timestamp_is_an_aware_utc_column() -> None:
    for table in TABLES:
        for column in table.columns:
            if isinstance(column.type, DateTime):
                raise AssertionError(f"{table.name}.{column.name} is a bare DateTime")
            if isinstance(column.type, UtcDateTime):
                assert column.type.impl_instance.timezone is True


def test_enum_columns_are_varchar_with_a_check() -> None:
    for table in TABLES:
        for column in table.columns:
            if isinstance(column.type, Enum):
                assert column.type.native_enum is False, (table.name, column.name)
                assert column.type.create_constraint is True, (table.name, column.name)


def test_every_constraint_and_index_has_a_stable_name() -> None:
    for table in TABLES:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and constraint.name is None:
                continue  # type-bound CHECKs are named by the convention at DDL time
            assert constraint.name, (table.name, constraint)
        for index in table.indexes:
            assert index.name, (table.name, index)


def test_the_schema_covers_the_documented_tables() -> None:
    expected = {
        "jobs", "job_attempts", "inbox_events", "inbox_attempts", "sync_runs", "sync_cursors",
        "quarantine", "api_calls", "audit_log", "users", "products", "variants",
        "product_texts", "media", "brands", "price_lists", "prices", "stock_locations",
        "stock_levels", "customers", "orders", "order_lines", "shipments", "parcels", "labels",
        "payments", "invoices", "quotes", "quote_lines",
    }  # fmt: skip
    assert expected <= set(Base.metadata.tables)
