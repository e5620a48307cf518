"""Sharespine orders to rows: rules, totals in Decimal, address snapshots and the content hash.

Money: rows carry `pricePerUnitExclVat` (paid, discount applied) and `discountExclVat` per
unit [V]; line totals and VAT are rounded to öre per line (half up), the order's totals are
the sums plus shipping. Shipping (`shippingCostExclVat`) is taxed at the order's highest row
VAT rate (Swedish practice for mixed orders is proportional; with one rate per order, which
is nearly always the case, both agree). `shipping_amount` is stored excl. VAT, like the rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from westgear_desk.db.enums import OrderStatus, RecordType
from westgear_desk.domain.order_rules import check_order
from westgear_desk.domain.quarantine import Reason, without_overridden
from westgear_desk.integrations.sharespine.client import RecordResult
from westgear_desk.integrations.sharespine.contract import Address, Order, OrderRow
from westgear_desk.sync.quarantine import QuarantineItem
from westgear_desk.sync.sharespine.customer_mapping import (
    cleaned,
    contract_reasons,
    digest,
    drift_reasons,
    known_keys,
    minimized_payload,
    storable,
)

ORE: Final = Decimal("0.01")
#: Sharespine's order status -> ours (the raw one is kept in `source_status`).
STATUS_MAP: Final[Mapping[str, OrderStatus]] = {
    "new": OrderStatus.NEW,
    "pending": OrderStatus.NEW,
    "processing": OrderStatus.CONFIRMED,
    "confirmed": OrderStatus.CONFIRMED,
    "on-hold": OrderStatus.ON_HOLD,
    "shipped": OrderStatus.SHIPPED,
    "complete": OrderStatus.COMPLETED,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "canceled": OrderStatus.CANCELLED,
    "returned": OrderStatus.RETURNED,
}
EXPECTED_ORDER_KEYS: Final = frozenset({"local_id", "last_modified", "rows", "currency"})


def money(value: Decimal) -> Decimal:
    """Round to öre, half up."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def _text(value: str | None, limit: int) -> str | None:
    text = storable(value or "").strip()
    return text[:limit] or None


@dataclass(frozen=True, slots=True)
class LineValues:
    """One order_lines row (the order id is added when written)."""

    line_no: int
    sku: str
    name: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    discount_amount: Decimal
    vat_rate: Decimal  # fraction, 0.25
    line_total_excl_vat: Decimal
    line_vat: Decimal

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class OrderValues:
    """One valid order, ready for the bulk upsert."""

    remote_id: str
    customer_remote_id: str | None
    fields: dict[str, Any]  # orders columns (no id, customer or correlation id)
    lines: tuple[LineValues, ...]
    source_modified_at: datetime
    content_hash: str


def line_values(number: int, row: OrderRow) -> LineValues:
    """Map one valid order row (its checks passed)."""
    rate = row.vat_rate_percent or Decimal(0)
    quantity = row.quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    unit = money(row.price_per_unit_excl_vat)
    total = money(unit * quantity)
    return LineValues(
        line_no=number,
        sku=(row.sku or "").strip()[:64],
        name=(_text(row.title, 300) or (row.sku or "").strip())[:300],
        quantity=quantity,
        unit_price_excl_vat=unit,
        discount_amount=money((row.discount_excl_vat or Decimal(0)) * quantity),
        vat_rate=(rate / 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        line_total_excl_vat=total,
        line_vat=money(total * rate / 100),
    )


def address_snapshot(address: Address | None) -> dict[str, Any] | None:
    """The address as stored on the order (a snapshot; later edits never change it)."""
    if address is None:
        return None
    return {
        "name": address.name,
        "street": address.street,
        "postal_code": address.postal_code,
        "city": address.city,
        "country_code": (address.country_code or "SE").upper(),
    }


def _totals(lines: Sequence[LineValues], shipping: Decimal) -> dict[str, Decimal]:
    top_rate = max((line.vat_rate for line in lines), default=Decimal(0))
    shipping_vat = money(shipping * top_rate)
    excl = sum((line.line_total_excl_vat for line in lines), Decimal(0)) + shipping
    vat = sum((line.line_vat for line in lines), Decimal(0)) + shipping_vat
    return {
        "total_excl_vat": money(excl),
        "total_vat": money(vat),
        "total_incl_vat": money(excl + vat),
        "shipping_amount": shipping,
        "discount_amount": money(sum((line.discount_amount for line in lines), Decimal(0))),
    }


def order_values(order: Order) -> OrderValues:
    """Map an order that passed its blocking rules."""
    lines = tuple(line_values(i + 1, row) for i, row in enumerate(order.rows))
    buyer = order.customer
    status = (order.order_status or "").strip().lower()
    fields: dict[str, Any] = {
        "order_number": (order.remote_order_no or order.remote_id or "").strip()[:64],
        "local_id": order.local_id[:200],
        "channel": _text(order.sales_channel, 64),
        "status": STATUS_MAP.get(status, OrderStatus.NEW),
        "source_status": _text(order.order_status, 64),
        "shipping_status": _text(order.shipping_status, 64),
        "payment_method": _text(order.payment_method, 64),
        "currency": (order.currency or "").strip().upper()[:3],
        **_totals(lines, money(order.shipping_cost_excl_vat or Decimal(0))),
        "billing_address": address_snapshot(order.billing_address),
        "shipping_address": address_snapshot(order.shipping_address),
        "email": _text(buyer.email, 254) if buyer else None,
        "phone": _text(buyer.phone, 32) if buyer else None,
        "placed_at": order.created or order.last_modified,
    }
    hashed = {**fields, "lines": [line.values() for line in lines], "buyer": _buyer_id(order)}
    return OrderValues(
        remote_id=(order.remote_id or "").strip()[:200],
        customer_remote_id=_buyer_id(order),
        fields=fields,
        lines=lines,
        source_modified_at=order.last_modified,
        content_hash=digest({k: str(v) for k, v in hashed.items()}),
    )


def _buyer_id(order: Order) -> str | None:
    return _text(order.customer.remote_id, 200) if order.customer else None


@dataclass
class ClassifiedOrders:
    """One page split into orders to write, orders to keep out, and notices on written ones."""

    rows: list[OrderValues] = field(default_factory=list)
    quarantined: list[QuarantineItem] = field(default_factory=list)
    notices: list[QuarantineItem] = field(default_factory=list)


def order_key(result: RecordResult[Order]) -> str:
    """The id an order is filed under: remoteId, else Plugboard's localId, else a digest."""
    if result.model is not None and (result.model.remote_id or "").strip():
        return (result.model.remote_id or "").strip()[:200]
    raw = result.raw if isinstance(result.raw, Mapping) else {}
    found = raw.get("remoteId") or raw.get("localId")
    if result.model is not None and not found:
        found = result.model.local_id
    return storable(str(found))[:200] if found else "sha:" + digest({"raw": result.raw})


def _item(result: RecordResult[Order], key: str, reasons: list[Reason]) -> QuarantineItem:
    return QuarantineItem(RecordType.ORDER, key, reasons, minimized_payload(result.payload()), key)


def classify(
    results: Sequence[RecordResult[Order]],
    overrides: Mapping[str, frozenset[str]],
    known_skus: Collection[str],
) -> ClassifiedOrders:
    """Split a page. Blocking reasons (minus overridden ones) quarantine an order; notices
    (unknown SKUs, fields the contract does not know) travel beside an order that is written
    all the same: a new Sharespine field must never stop orders from being shipped.
    """
    out = ClassifiedOrders()
    for result in map(cleaned, results):
        key = order_key(result)
        if result.model is None:
            out.quarantined.append(
                _item(result, key, contract_reasons(result.raw, result.error, known_keys(Order)))
            )
            continue
        check = check_order(result.model, known_skus)
        accepted = overrides.get(key, frozenset())
        blocking = without_overridden(check.blocking, accepted)
        if blocking:
            out.quarantined.append(_item(result, key, blocking))
            continue
        out.rows.append(order_values(result.model))
        drift = drift_reasons(result.model, EXPECTED_ORDER_KEYS)
        notices = without_overridden([*drift, *check.notices], accepted)
        if notices:
            out.notices.append(_item(result, key, notices))
    return out


def skus_of(results: Sequence[RecordResult[Order]]) -> set[str]:
    """Every SKU the page's valid orders mention."""
    return {
        (row.sku or "").strip()
        for result in results
        if result.model is not None
        for row in result.model.rows
        if row.sku and row.sku.strip()
    }
