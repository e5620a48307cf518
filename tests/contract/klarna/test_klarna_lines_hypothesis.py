"""Generated Klarna order lines: consistent ones pass, inconsistent ones fail naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.klarna.contract import SessionCreateRequest
from westgear_desk.integrations.klarna.lines import OrderLine, build_line, expected_tax

RATES = st.sampled_from([0, 600, 1200, 2500])


@st.composite
def valid_lines(draw: st.DrawFn) -> dict[str, Any]:
    quantity = draw(st.integers(1, 50))
    unit_price = draw(st.integers(0, 2_000_000))
    discount = draw(st.integers(0, quantity * unit_price))
    rate = draw(RATES)
    total = quantity * unit_price - discount
    tax = round(expected_tax(total, rate))
    return {
        "type": "physical",
        "name": draw(st.text(min_size=1, max_size=40).filter(str.strip)),
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": rate,
        "total_discount_amount": discount,
        "total_amount": total,
        "total_tax_amount": tax,
    }


def _session(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "order_amount": sum(line["total_amount"] for line in lines),
        "order_tax_amount": sum(line["total_tax_amount"] for line in lines),
        "order_lines": lines,
    }


@given(st.lists(valid_lines(), min_size=1, max_size=8))
def test_consistent_orders_validate(lines: list[dict[str, Any]]) -> None:
    session = parse_contract(SessionCreateRequest, _session(lines))
    assert session.order_amount == sum(line.total_amount for line in session.order_lines)


@given(valid_lines(), st.integers(1, 10_000), st.booleans())
def test_total_amount_off_by_more_than_quantity_is_refused(
    line: dict[str, Any], extra: int, up: bool
) -> None:
    line["total_amount"] += (line["quantity"] + extra) * (1 if up else -1)
    with pytest.raises(DataError, match=r"order_lines\.0: .*total_amount"):
        parse_contract(SessionCreateRequest, _session([line]))


@given(valid_lines(), st.integers(2, 10_000), st.booleans())
def test_tax_off_by_more_than_one_is_refused(line: dict[str, Any], extra: int, up: bool) -> None:
    line["total_tax_amount"] += extra * (1 if up else -1)
    with pytest.raises(DataError, match=r"order_lines\.0: .*total_tax_amount"):
        parse_contract(SessionCreateRequest, _session([line]))


@given(st.lists(valid_lines(), min_size=1, max_size=5), st.integers(1, 1000))
def test_order_amount_not_the_sum_is_refused(lines: list[dict[str, Any]], extra: int) -> None:
    body = _session(lines)
    body["order_amount"] += extra
    with pytest.raises(DataError, match="order_amount"):
        parse_contract(SessionCreateRequest, body)


@given(valid_lines(), st.sampled_from(["quantity", "unit_price", "total_amount", "tax_rate"]))
def test_amount_as_float_or_text_is_refused(line: dict[str, Any], field: str) -> None:
    body = _session([line])
    value = line[field]
    line[field] = str(value) if value % 2 else float(value)
    with pytest.raises(DataError, match=field):
        parse_contract(SessionCreateRequest, body)


@given(
    st.integers(1, 20),
    st.decimals(min_value=0, max_value=100_000, places=2),
    st.sampled_from([Decimal(0), Decimal(6), Decimal(12), Decimal(25)]),
)
def test_build_line_is_always_consistent(quantity: int, price: Decimal, vat: Decimal) -> None:
    line = build_line(
        name="Flytväst", reference="LJ-1", quantity=quantity, unit_price=price, vat_percent=vat
    )
    assert OrderLine.model_validate(line.model_dump()) == line
    assert line.total_amount == int(price * 100) * quantity


def test_build_line_refuses_fractions_of_an_ore() -> None:
    with pytest.raises(ValueError, match="öre"):
        build_line(
            name="x", reference=None, quantity=1, unit_price=Decimal("1.005"), vat_percent=25
        )
