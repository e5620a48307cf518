"""Klarna order lines and the arithmetic Klarna checks, so a bad total fails here, not at Klarna.

Every amount is an integer in minor units (öre); `tax_rate` is percent × 100. The documented
rules (klarna.md, "Order lines", tax-handling guide) and their tolerances are the constants
below; the order-level tax tolerance is our reading of "±number of items" [U].
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated, Literal, Self

from pydantic import Field, Strict, model_validator

from westgear_desk.integrations.drift import ContractModel

MAX_UNIT_PRICE = 100_000_000
MAX_TAX_RATE = 10_000
LINE_TAX_TOLERANCE = 1  # total_tax_amount within ±1 of the formula [V]
# total_amount within ±quantity of quantity*unit_price - total_discount_amount [V]
# order_tax_amount within ±(number of lines) of the sum of line taxes [U: "±number of items"]

MinorUnits = Annotated[int, Strict()]
LineType = Literal[
    "physical",
    "digital",
    "discount",
    "shipping_fee",
    "sales_tax",
    "gift_card",
    "store_credit",
    "surcharge",
]


class ProductIdentifiers(ContractModel):
    """Optional product facts shown to the customer."""

    brand: str | None = None
    category_path: str | None = None
    global_trade_item_number: str | None = None
    manufacturer_part_number: str | None = None
    color: str | None = None
    size: str | None = None


def expected_tax(total_amount: int, tax_rate: int) -> Fraction:
    """The exact tax inside a tax-inclusive `total_amount` at `tax_rate` (basis points)."""
    return total_amount - Fraction(total_amount * 10_000, 10_000 + tax_rate)


class OrderLine(ContractModel):
    """One order line; the totals must be consistent (a ValueError names the field)."""

    type: LineType | None = None
    reference: str | None = Field(default=None, max_length=255)  # Payments: 64, OM: 255
    name: str = Field(min_length=1, max_length=255)
    quantity: MinorUnits = Field(ge=0)
    quantity_unit: str | None = Field(default=None, min_length=1, max_length=8)
    unit_price: MinorUnits = Field(le=MAX_UNIT_PRICE)
    tax_rate: MinorUnits | None = Field(default=None, ge=0, le=MAX_TAX_RATE)
    total_amount: MinorUnits
    total_discount_amount: MinorUnits | None = Field(default=None, ge=0)
    total_tax_amount: MinorUnits | None = None
    merchant_data: str | None = None
    product_url: str | None = None
    image_url: str | None = None
    product_identifiers: ProductIdentifiers | None = None

    @model_validator(mode="after")
    def _totals_are_consistent(self) -> Self:
        discount = self.total_discount_amount or 0
        expected_total = self.quantity * self.unit_price - discount
        if abs(self.total_amount - expected_total) > self.quantity:
            raise ValueError(
                f"total_amount {self.total_amount} must be quantity*unit_price - "
                f"total_discount_amount = {expected_total} (±{self.quantity})"
            )
        if self.tax_rate is not None and self.total_tax_amount is not None:
            tax = expected_tax(self.total_amount, self.tax_rate)
            if abs(self.total_tax_amount - tax) > LINE_TAX_TOLERANCE:
                raise ValueError(
                    f"total_tax_amount {self.total_tax_amount} must be within "
                    f"±{LINE_TAX_TOLERANCE} of {float(tax):.2f} for tax_rate {self.tax_rate}"
                )
        return self


def order_totals_problem(
    order_amount: int, order_tax_amount: int | None, lines: Sequence[OrderLine]
) -> str | None:
    """Why the order-level amounts disagree with `lines`, or None when they agree.

    EU model: order_tax_amount = Σ total_tax_amount when every line carries one; US model
    (lines without tax): order_tax_amount = Σ of the `sales_tax` lines.
    """
    line_sum = sum(line.total_amount for line in lines)
    if lines and order_amount != line_sum:
        return (
            f"order_amount {order_amount} must equal the sum of order_lines.total_amount {line_sum}"
        )
    if order_tax_amount is None or not lines:
        return None
    if all(line.total_tax_amount is not None for line in lines):
        tax_sum = sum(line.total_tax_amount or 0 for line in lines)
        if abs(order_tax_amount - tax_sum) > len(lines):
            return (
                f"order_tax_amount {order_tax_amount} must equal the sum of "
                f"order_lines.total_tax_amount {tax_sum} (±{len(lines)})"
            )
        return None
    sales_tax = [line.total_amount for line in lines if line.type == "sales_tax"]
    if sales_tax and order_tax_amount != sum(sales_tax):
        return (
            f"order_tax_amount {order_tax_amount} must equal the sum of the sales_tax "
            f"lines {sum(sales_tax)}"
        )
    return None


def to_minor_units(amount: Decimal) -> int:
    """SEK as Decimal -> öre as int; raises ValueError for fractions of an öre."""
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has fractions of an öre")
    return int(minor)


def build_line(
    *,
    name: str,
    reference: str | None,
    quantity: int,
    unit_price: Decimal,
    vat_percent: Decimal,
    discount: Decimal = Decimal(0),
    line_type: LineType = "physical",
) -> OrderLine:
    """A consistent order line from Decimal SEK amounts (tax-inclusive), rounded half up."""
    unit = to_minor_units(unit_price)
    total = quantity * unit - to_minor_units(discount)
    rate = int((vat_percent * 100).to_integral_value())
    tax = Decimal(expected_tax(total, rate).numerator) / expected_tax(total, rate).denominator
    return OrderLine(
        type=line_type,
        reference=reference,
        name=name,
        quantity=quantity,
        unit_price=unit,
        tax_rate=rate,
        total_amount=total,
        total_discount_amount=to_minor_units(discount) or None,
        total_tax_amount=int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
    )
