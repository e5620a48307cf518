"""Order rules: blocking reasons keep an order out; unknown SKUs are notices, rows kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain import order_rules as rules


@dataclass(frozen=True)
class Row:
    sku: str | None = "LJ-100-M"
    quantity: Decimal = Decimal(1)
    price_per_unit_excl_vat: Decimal = Decimal("799.20")
    vat_rate_percent: Decimal | None = Decimal(25)


@dataclass(frozen=True)
class Address:
    street: str | None = "Hamngatan 1"
    postal_code: str | None = "411 06"
    city: str | None = "Göteborg"


@dataclass(frozen=True)
class Order:
    remote_id: str | None = "WEB-100001"
    currency: str | None = "SEK"
    rows: list[Row] = field(default_factory=lambda: [Row()])
    shipping_address: Address | None = Address()
    shipping_cost_excl_vat: Decimal | None = Decimal("39.20")


KNOWN = {"LJ-100-M", "LJ-100-L"}


def blocking(order: Order) -> list[str]:
    return [r.code for r in rules.check_order(order, KNOWN).blocking]


def test_valid_order_passes() -> None:
    check = rules.check_order(Order(), KNOWN)
    assert check.ok
    assert check.notices == []


def test_missing_id_currency_rows_and_address_block() -> None:
    assert blocking(Order(remote_id=" ")) == [rules.MISSING_REMOTE_ID]
    assert blocking(Order(currency=None)) == [rules.MISSING_CURRENCY]
    assert blocking(Order(currency="XYZ")) == [rules.UNKNOWN_CURRENCY]
    assert blocking(Order(rows=[])) == [rules.NO_ROWS]
    assert blocking(Order(shipping_address=None)) == [rules.MISSING_SHIPPING_ADDRESS]
    assert blocking(Order(shipping_address=Address(postal_code=""))) == [
        rules.MISSING_SHIPPING_ADDRESS
    ]


def test_negative_shipping_and_absurd_amounts_block() -> None:
    assert blocking(Order(shipping_cost_excl_vat=Decimal("-1"))) == [rules.INVALID_SHIPPING]
    assert blocking(Order(shipping_cost_excl_vat=Decimal("1E+20"))) == [rules.INVALID_SHIPPING]
    huge = Row(quantity=Decimal(10) ** 7)
    assert blocking(Order(rows=[huge])) == [rules.ROW_AMOUNT_OUT_OF_RANGE]
    many = Row(quantity=Decimal(90000), price_per_unit_excl_vat=Decimal("9000000"))
    assert blocking(Order(rows=[many, many])) == [rules.TOTAL_OUT_OF_RANGE]


def test_a_quantity_that_rounds_to_nothing_is_refused() -> None:
    assert blocking(Order(rows=[Row(quantity=Decimal("1E-30"))])) == [rules.ROW_BAD_QUANTITY]
    assert blocking(Order(rows=[Row(quantity=Decimal("0.001"))])) == []


def test_currency_is_case_insensitive() -> None:
    assert blocking(Order(currency="sek")) == []


def test_bad_rows_name_the_row() -> None:
    order = Order(
        rows=[
            Row(),
            Row(sku=None),
            Row(quantity=Decimal(0)),
            Row(price_per_unit_excl_vat=Decimal("-1")),
            Row(vat_rate_percent=None),
            Row(vat_rate_percent=Decimal(125)),
        ]
    )
    reasons = rules.check_order(order, KNOWN).blocking
    assert [(r.code, r.field) for r in reasons] == [
        (rules.ROW_MISSING_SKU, "rows.1.sku"),
        (rules.ROW_BAD_QUANTITY, "rows.2.quantity"),
        (rules.ROW_NEGATIVE_PRICE, "rows.3.pricePerUnitExclVat"),
        (rules.ROW_BAD_VAT, "rows.4.vatRatePercent"),
        (rules.ROW_BAD_VAT, "rows.5.vatRatePercent"),
    ]


def test_unknown_sku_is_a_notice_not_a_block() -> None:
    check = rules.check_order(Order(rows=[Row(), Row(sku="GONE-1")]), KNOWN)
    assert check.ok
    [notice] = check.notices
    assert notice.code == rules.ROW_UNKNOWN_SKU
    assert notice.field == "rows.1.sku"
    assert "GONE-1" in notice.message_sv
    assert "GONE-1" in notice.message_en


def test_zero_vat_and_free_rows_are_allowed() -> None:
    free = Row(price_per_unit_excl_vat=Decimal(0), vat_rate_percent=Decimal(0))
    assert blocking(Order(rows=[free])) == []


@given(
    quantity=st.decimals(allow_nan=False, allow_infinity=False, places=3),
    price=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    vat=st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=2)),
    sku=st.one_of(st.none(), st.text(max_size=12)),
)
def test_any_row_gives_known_codes_never_a_crash(
    quantity: Decimal, price: Decimal, vat: Decimal | None, sku: str | None
) -> None:
    order = Order(rows=[Row(sku, quantity, price, vat)])
    check = rules.check_order(order, KNOWN)
    assert {r.code for r in check.blocking} <= set(rules.BLOCKING_CODES)
    assert {r.code for r in check.notices} <= set(rules.NOTICE_CODES)
