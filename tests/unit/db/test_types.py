"""Portable column types: refuse what would silently corrupt data, return what was stored."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from westgear_desk.db.session import create_engine_for
from westgear_desk.db.types import Money, Percent, Quantity, UtcDateTime, VatRate, str_enum


class Colour(enum.StrEnum):
    SIGNAL_RED = "signal_red"
    NAVY = "navy"


metadata = MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime()),
    Column("money", Money()),
    Column("qty", Quantity()),
    Column("vat", VatRate()),
    Column("pct", Percent()),
    Column("colour", str_enum(Colour)),
)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path}/t.db")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _store(engine: Engine, **values: object) -> dict[str, object]:
    with engine.begin() as connection:
        row_id = connection.execute(insert(things).values(**values)).inserted_primary_key[0]
        row = connection.execute(select(things).where(things.c.id == row_id)).mappings().one()
    return dict(row)


def test_str_enum_stores_the_value_and_checks_it(sqlite: Engine) -> None:
    assert _store(sqlite, colour=Colour.SIGNAL_RED)["colour"] is Colour.SIGNAL_RED
    with sqlite.connect() as connection:
        assert connection.exec_driver_sql("SELECT colour FROM things").scalar() == "signal_red"
    with pytest.raises(IntegrityError), sqlite.begin() as connection:
        connection.exec_driver_sql("INSERT INTO things (colour) VALUES ('SIGNAL_RED')")


def test_utc_datetime_normalises_zones(sqlite: Engine) -> None:
    tokyo = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    stored = _store(sqlite, at=tokyo)["at"]
    assert stored == tokyo
    assert stored.tzinfo is dt.UTC  # type: ignore[union-attr]


def test_utc_datetime_refuses_naive_and_non_datetimes(sqlite: Engine) -> None:
    with pytest.raises(StatementError, match="naive"):
        _store(sqlite, at=dt.datetime(2026, 1, 1))
    with pytest.raises(StatementError, match="expected a datetime"):
        _store(sqlite, at="2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("money", Decimal("12.34")),
        ("money", 7),
        ("qty", Decimal("2.125")),
        ("vat", Decimal("0.12")),
        ("pct", Decimal("12.50")),
    ],
)
def test_decimals_round_trip(sqlite: Engine, column: str, value: Decimal | int) -> None:
    stored = _store(sqlite, **{column: value})[column]
    assert isinstance(stored, Decimal)
    assert stored == value


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("money", 12.34, "expected Decimal"),
        ("money", True, "expected Decimal"),
        ("money", Decimal("0.001"), "more decimals"),
        ("qty", Decimal("1.0005"), "more decimals"),
        ("vat", Decimal("0.12345"), "more decimals"),
    ],
)
def test_inexact_or_float_decimals_are_refused(
    sqlite: Engine, column: str, value: object, error: str
) -> None:
    with pytest.raises(StatementError, match=error):
        _store(sqlite, **{column: value})
