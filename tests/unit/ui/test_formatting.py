"""Swedish figures whatever the UI language: money, numbers, dates in Stockholm time, ages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.ui.formatting import (
    format_age,
    format_date,
    format_datetime,
    format_duration_ms,
    format_money,
    format_number,
    format_quantity,
)
from westgear_desk.ui.i18n import set_language


@pytest.fixture(autouse=True)
def _swedish() -> None:
    set_language("sv")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "SEK", "1 234,50 kr"),
        (Decimal("0"), "SEK", "0,00 kr"),
        (Decimal("-99.9"), "SEK", "-99,90 kr"),
        (Decimal("1234567.891"), "SEK", "1 234 567,89 kr"),
        (Decimal("10"), "EUR", "10,00 €"),
        (None, "SEK", "–"),
    ],
)
def test_money(amount: Decimal | None, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_money_refuses_float() -> None:
    with pytest.raises(TypeError):
        format_money(12.5)  # type: ignore[arg-type]


def test_numbers_and_quantities() -> None:
    assert format_number(Decimal("1234.5")) == "1 234,5"
    assert format_number(Decimal("1234.5"), decimals=2) == "1 234,50"
    assert format_number(100000) == "100 000"
    assert format_quantity(Decimal("2.000")) == "2"
    assert format_quantity(Decimal("1.500")) == "1,5"


def test_dates_are_shown_in_stockholm_time_across_dst() -> None:
    winter = dt.datetime(2025, 1, 15, 23, 30, tzinfo=dt.UTC)
    summer = dt.datetime(2025, 7, 1, 10, 5, 9, tzinfo=dt.UTC)
    assert format_datetime(winter) == "2025-01-16 00:30"
    assert format_datetime(summer, seconds=True) == "2025-07-01 12:05:09"
    assert format_date(winter) == "2025-01-16"
    assert format_date(dt.date(2025, 3, 1)) == "2025-03-01"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(dt.datetime(2025, 1, 1, 12, 0))


def test_age_follows_the_ui_language() -> None:
    now = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    five = now - dt.timedelta(minutes=5)
    assert format_age(five, now) == "för 5 minuter sedan"
    set_language("en")
    assert format_age(five, now) == "5 minutes ago"


def test_durations() -> None:
    assert format_duration_ms(850) == "850 ms"
    assert format_duration_ms(12_500) == "12,5 s"
    assert format_duration_ms(None) == "–"


# The fast paths must write exactly what babel writes, for any amount and moment.
_CURRENCIES = ["SEK", "EUR", "NOK", "DKK", "USD", "GBP", "JPY", "ISK", "KWD", "CHF"]


@given(
    amount=st.decimals(
        allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12
    ),
    currency=st.sampled_from(_CURRENCIES),
)
def test_money_is_written_exactly_as_babel_writes_it(amount: Decimal, currency: str) -> None:
    from babel.numbers import format_currency

    expected = format_currency(amount, currency, locale="sv_SE")
    expected = expected.replace("\xa0", " ").replace("\u202f", " ").replace("\u2212", "-")
    assert format_money(amount, currency) == expected


@given(
    moment=st.datetimes(
        min_value=dt.datetime(1000, 1, 2),
        max_value=dt.datetime(9998, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    seconds=st.booleans(),
)
def test_datetimes_are_written_exactly_as_babel_writes_them(
    moment: dt.datetime, seconds: bool
) -> None:
    from babel.dates import format_datetime as babel_datetime

    pattern = "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm"
    stockholm = moment.astimezone(ZoneInfo("Europe/Stockholm"))
    assert format_datetime(moment, seconds) == babel_datetime(stockholm, pattern, locale="sv_SE")
