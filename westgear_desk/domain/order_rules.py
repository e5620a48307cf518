"""Rules an incoming order must pass, each with a stable code and a Swedish/English message.

Two kinds of finding:
- *blocking* reasons: without them the order cannot be handled (no id, no rows, a row without
  SKU or with a non-positive quantity, a negative price, an impossible VAT rate, no currency
  or an unknown one, no delivery address). Such an order is quarantined and not stored.
- *notices*: the order is real and must be shipped, so it is stored with every row, but an
  admin must look. Today one notice exists: a row whose SKU our catalog does not know
  (`order_row_unknown_sku`); the row is kept, without a link to a variant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Protocol

from westgear_desk.domain.addresses import PostalAddress, blank, is_complete
from westgear_desk.domain.quarantine import Reason

#: Currencies the shop sells in; anything else is a data error.
KNOWN_CURRENCIES: Final = frozenset({"SEK", "EUR", "NOK", "DKK"})
MAX_VAT_PERCENT: Final = Decimal(100)
#: Limits far above any real order that keep every line and total storable (Numeric(14, 2)).
MIN_QUANTITY: Final = Decimal("0.001")  # quantities are kept to three decimals
MAX_QUANTITY: Final = Decimal("99999")
MAX_UNIT_PRICE: Final = Decimal("9999999.99")
MAX_ORDER_TOTAL: Final = Decimal("9999999999.99")

MISSING_REMOTE_ID: Final = "order_missing_remote_id"
MISSING_CURRENCY: Final = "order_missing_currency"
UNKNOWN_CURRENCY: Final = "order_unknown_currency"
NO_ROWS: Final = "order_without_rows"
ROW_MISSING_SKU: Final = "order_row_missing_sku"
ROW_BAD_QUANTITY: Final = "order_row_invalid_quantity"
ROW_NEGATIVE_PRICE: Final = "order_row_negative_price"
ROW_BAD_VAT: Final = "order_row_invalid_vat_rate"
MISSING_SHIPPING_ADDRESS: Final = "order_missing_shipping_address"
ROW_AMOUNT_OUT_OF_RANGE: Final = "order_row_amount_out_of_range"
INVALID_SHIPPING: Final = "order_invalid_shipping_cost"
TOTAL_OUT_OF_RANGE: Final = "order_total_out_of_range"
ROW_UNKNOWN_SKU: Final = "order_row_unknown_sku"
BLOCKING_CODES: Final = (
    MISSING_REMOTE_ID,
    MISSING_CURRENCY,
    UNKNOWN_CURRENCY,
    NO_ROWS,
    ROW_MISSING_SKU,
    ROW_BAD_QUANTITY,
    ROW_NEGATIVE_PRICE,
    ROW_BAD_VAT,
    ROW_AMOUNT_OUT_OF_RANGE,
    MISSING_SHIPPING_ADDRESS,
    INVALID_SHIPPING,
    TOTAL_OUT_OF_RANGE,
)
NOTICE_CODES: Final = (ROW_UNKNOWN_SKU,)


class RowLike(Protocol):
    """The order-row fields the rules read (a Sharespine `OrderRow` fits)."""

    @property
    def sku(self) -> str | None: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def price_per_unit_excl_vat(self) -> Decimal: ...

    @property
    def vat_rate_percent(self) -> Decimal | None: ...


#: The address fields the rules read.
AddressLike = PostalAddress


class OrderLike(Protocol):
    """The order fields the rules read (a Sharespine `Order` fits)."""

    @property
    def remote_id(self) -> str | None: ...

    @property
    def currency(self) -> str | None: ...

    @property
    def rows(self) -> Sequence[RowLike]: ...

    @property
    def shipping_address(self) -> AddressLike | None: ...

    @property
    def shipping_cost_excl_vat(self) -> Decimal | None: ...


@dataclass(frozen=True)
class OrderCheck:
    """The findings on one order: blocking reasons keep it out, notices travel with it."""

    blocking: list[Reason] = field(default_factory=list)
    notices: list[Reason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the order may be stored."""
        return not self.blocking


def rule_remote_id(order: OrderLike) -> list[Reason]:
    """The order has the channel's order id (our natural key)."""
    if not blank(order.remote_id):
        return []
    return [
        Reason(
            MISSING_REMOTE_ID,
            "remoteId",
            "Ordern saknar order-id från försäljningskanalen (remoteId).",
            "The order has no id from its sales channel (remoteId).",
        )
    ]


def rule_currency(order: OrderLike) -> list[Reason]:
    """The order names a currency the shop sells in."""
    if blank(order.currency):
        return [Reason(MISSING_CURRENCY, "currency", "Valuta saknas.", "The currency is missing.")]
    code = (order.currency or "").strip().upper()
    if code in KNOWN_CURRENCIES:
        return []
    known = ", ".join(sorted(KNOWN_CURRENCIES))
    return [
        Reason(
            UNKNOWN_CURRENCY,
            "currency",
            f"Valutan {code} är okänd (kända: {known}).",
            f"Currency {code} is unknown (known: {known}).",
        )
    ]


def rule_has_rows(order: OrderLike) -> list[Reason]:
    """The order has at least one row."""
    if order.rows:
        return []
    return [Reason(NO_ROWS, "rows", "Ordern saknar rader.", "The order has no rows.")]


def _row_reasons(index: int, row: RowLike) -> list[Reason]:
    where = f"rows.{index}"
    rate = row.vat_rate_percent
    checks = (
        (blank(row.sku), ROW_MISSING_SKU, "sku",
         "Orderraden saknar artikelnummer (SKU).", "The order row has no SKU."),
        (row.quantity < MIN_QUANTITY, ROW_BAD_QUANTITY, "quantity",
         f"Antalet {row.quantity} är inte större än noll (minst 0,001).",
         f"Quantity {row.quantity} is not above zero (at least 0.001)."),
        (row.price_per_unit_excl_vat < 0, ROW_NEGATIVE_PRICE, "pricePerUnitExclVat",
         "Styckpriset är negativt.", "The unit price is negative."),
        (rate is None or not Decimal(0) <= rate <= MAX_VAT_PERCENT, ROW_BAD_VAT, "vatRatePercent",
         f"Momssatsen {rate} saknas eller är orimlig.",
         f"VAT rate {rate} is missing or impossible."),
        (row.quantity > MAX_QUANTITY or row.price_per_unit_excl_vat > MAX_UNIT_PRICE,
         ROW_AMOUNT_OUT_OF_RANGE, "quantity",
         "Antal eller styckpris är orimligt stort.",
         "Quantity or unit price is unreasonably large."),
    )  # fmt: skip
    return [Reason(code, f"{where}.{name}", sv, en) for bad, code, name, sv, en in checks if bad]


def rule_rows_valid(order: OrderLike) -> list[Reason]:
    """Every row has a SKU, a positive quantity, a non-negative price and a VAT rate 0-100 %."""
    return [reason for i, row in enumerate(order.rows) for reason in _row_reasons(i, row)]


def rule_shipping_address(order: OrderLike) -> list[Reason]:
    """The order has a delivery address with street, postal code and city."""
    if is_complete(order.shipping_address):
        return []
    return [
        Reason(
            MISSING_SHIPPING_ADDRESS,
            "shippingAddress",
            "Leveransadressen saknas eller är ofullständig.",
            "The delivery address is missing or incomplete.",
        )
    ]


def rule_shipping_cost(order: OrderLike) -> list[Reason]:
    """The shipping cost, when given, is neither negative nor absurdly large."""
    cost = order.shipping_cost_excl_vat
    if cost is None or Decimal(0) <= cost <= MAX_UNIT_PRICE:
        return []
    return [
        Reason(
            INVALID_SHIPPING,
            "shippingCostExclVat",
            f"Fraktkostnaden {cost} är negativ eller orimligt stor.",
            f"The shipping cost {cost} is negative or unreasonably large.",
        )
    ]


def rule_total_in_range(order: OrderLike) -> list[Reason]:
    """The order's total stays within what can be stored and invoiced."""
    rows = [
        r
        for r in order.rows
        if abs(r.quantity) <= MAX_QUANTITY and abs(r.price_per_unit_excl_vat) <= MAX_UNIT_PRICE
    ]
    shipping = order.shipping_cost_excl_vat or Decimal(0)
    if len(rows) < len(order.rows) or abs(shipping) > MAX_UNIT_PRICE:
        return []  # the row and shipping rules report those
    goods = sum((r.quantity * r.price_per_unit_excl_vat for r in rows), Decimal(0))
    if abs(goods) + abs(shipping) <= MAX_ORDER_TOTAL:
        return []
    return [
        Reason(
            TOTAL_OUT_OF_RANGE,
            "rows",
            "Orderns summa är orimligt stor.",
            "The order total is unreasonably large.",
        )
    ]


BLOCKING_RULES: Final[tuple[Callable[[OrderLike], list[Reason]], ...]] = (
    rule_remote_id,
    rule_currency,
    rule_has_rows,
    rule_rows_valid,
    rule_shipping_address,
    rule_shipping_cost,
    rule_total_in_range,
)


def unknown_sku_notices(order: OrderLike, known_skus: Collection[str]) -> list[Reason]:
    """A notice per row whose SKU is not in our catalog (the row is kept all the same)."""
    return [
        Reason(
            ROW_UNKNOWN_SKU,
            f"rows.{i}.sku",
            f"Artikelnumret {row.sku} finns inte i katalogen; raden sparas utan koppling.",
            f"SKU {row.sku} is not in the catalog; the row is kept without a link.",
        )
        for i, row in enumerate(order.rows)
        if not blank(row.sku) and (row.sku or "").strip() not in known_skus
    ]


def check_order(order: OrderLike, known_skus: Collection[str]) -> OrderCheck:
    """Blocking reasons and notices of one order against the SKUs our catalog knows."""
    blocking = [reason for rule in BLOCKING_RULES for reason in rule(order)]
    return OrderCheck(blocking, unknown_sku_notices(order, known_skus))
