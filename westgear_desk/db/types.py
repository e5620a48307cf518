"""Column types that behave the same on SQLite and PostgreSQL (JSON, aware UTC times, Decimal)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Enum, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

#: A JSON document: JSONB on PostgreSQL (indexable, compact), JSON (text) on SQLite.
#: Values are not mutation-tracked: assign a new dict/list to change a column.
JSONDoc: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp, stored in UTC, always returned as an aware UTC datetime.

    Naive datetimes are refused on the way in: a naive time is ambiguous, and silently
    guessing its zone is how timestamps drift by an hour twice a year. SQLite has no zone
    support, so the value is stored there as naive UTC text and made aware again on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass an aware one")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _ExactDecimal(TypeDecorator[Decimal]):
    """Numeric column that accepts only Decimal/int values representable at its scale."""

    impl: TypeEngine[Any] | type[TypeEngine[Any]] = Numeric(14, 2, asdecimal=True)
    cache_ok = True
    quantum: Decimal = _CENT

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"expected Decimal, got {type(value).__name__} ({value!r})")
        exact = Decimal(value)
        quantized = exact.quantize(self.quantum)
        if quantized != exact:
            raise ValueError(f"{value} has more decimals than the column keeps ({self.quantum})")
        return quantized

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self.quantum)


class Money(_ExactDecimal):
    """An amount of money: Numeric(14, 2), Decimal in and out, floats refused."""

    impl = Numeric(14, 2, asdecimal=True)
    cache_ok = True
    quantum = _CENT


class Quantity(_ExactDecimal):
    """A quantity of goods: Numeric(12, 3) so rope by the metre fits, Decimal in and out."""

    impl = Numeric(12, 3, asdecimal=True)
    cache_ok = True
    quantum = _MILLI


class VatRate(_ExactDecimal):
    """A VAT rate as a fraction (0.25 for 25 %): Numeric(5, 4)."""

    impl = Numeric(5, 4, asdecimal=True)
    cache_ok = True
    quantum = Decimal("0.0001")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def str_enum(enum_cls: type[enum.StrEnum], *, name: str | None = None) -> Enum:
    """A StrEnum stored by value as VARCHAR with a named CHECK constraint (no native ENUM).

    Storing values (not member names) keeps the database readable and equal to the API
    strings; VARCHAR + CHECK behaves identically on SQLite and PostgreSQL and is easy to
    extend in a migration.
    """
    length = max(len(member.value) for member in enum_cls)
    return Enum(
        enum_cls,
        name=name or _snake(enum_cls.__name__),
        native_enum=False,
        create_constraint=True,
        length=max(length, 32),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Percent(_ExactDecimal):
    """A percentage 0-100 with two decimals (a discount of 12.5 % is 12.50): Numeric(5, 2)."""

    impl = Numeric(5, 2, asdecimal=True)
    cache_ok = True
    quantum = _CENT
