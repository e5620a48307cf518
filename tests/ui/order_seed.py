"""Bulk order seeding for the Orders page tests and the UI benchmark (Core inserts, seeded RNG).

`seed_orders(engine, count)` writes customers, orders, one to three lines per order and a
payment for most orders, fast enough for 100,000 orders (executemany, no ORM objects).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from westgear_desk.db.enums import CustomerKind, OrderStatus, PaymentProvider, PaymentStatus
from westgear_desk.db.models import Customer, Order, OrderLine, Payment

FIRST = ("Anna", "Erik", "Maja", "Lars", "Sara", "Johan", "Elin", "Nils", "Karin", "Olof")
LAST = ("Andersson", "Berg", "Lind", "Holm", "Ek", "Sjöberg", "Nyström", "Wallin", "Åberg")
CHANNELS = ("webshop", "amazon", "b2b-portal", "butik")
SKUS = ("TENT-2P", "KAYAK-SEA", "JACKET-GTX", "BOOT-HIKE", "ROPE-10M", "LAMP-HEAD", "PFD-ADULT")
BATCH = 5_000
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def _insert(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(insert(table), chunk)


def seed_orders(engine: Engine, count: int, *, seed: int = 7, customers: int = 2_000) -> None:
    """Insert `count` orders (numbers WG-0000001 …) spread over a year, with customers."""
    rng = random.Random(seed)
    customer_rows = [
        {
            "id": i + 1,
            "kind": CustomerKind.B2C.value,
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "owner_system": "sharespine",
            "email": f"kund{i + 1}@example.se",
        }
        for i in range(customers)
    ]
    _insert(engine, Customer.__table__, customer_rows)
    orders, lines, payments = [], [], []
    statuses = list(OrderStatus)
    pay_states = list(PaymentStatus)
    for i in range(1, count + 1):
        customer = rng.randrange(1, customers + 1)
        n_lines = rng.randint(1, 3)
        total = Decimal(0)
        for line_no in range(1, n_lines + 1):
            price = Decimal(rng.randrange(9_900, 499_900)) / 100
            total += price
            lines.append(_line(i, line_no, rng.choice(SKUS), price))
        vat = (total * Decimal("0.25")).quantize(Decimal("0.01"))
        orders.append(_order(i, customer, rng, statuses, total, vat))
        if rng.random() < 0.8:
            payments.append(_payment(i, rng.choice(pay_states), total + vat))
    _insert(engine, Order.__table__, orders)
    _insert(engine, OrderLine.__table__, lines)
    _insert(engine, Payment.__table__, payments)


def _order(
    i: int,
    customer: int,
    rng: random.Random,
    statuses: list[OrderStatus],
    total: Decimal,
    vat: Decimal,
) -> dict[str, Any]:
    return {
        "id": i,
        "order_number": f"WG-{i:07d}",
        "source_system": "sharespine",
        "remote_id": str(i),
        "channel": rng.choice(CHANNELS),
        "customer_id": customer,
        "status": rng.choice(statuses).value,
        "currency": "SEK",
        "total_excl_vat": total,
        "total_vat": vat,
        "total_incl_vat": total + vat,
        "email": f"kund{customer}@example.se",
        "placed_at": START + dt.timedelta(minutes=5 * i),
        "correlation_id": f"order-{i}",
        "language": "sv",
        "shipping_amount": Decimal(0),
        "discount_amount": Decimal(0),
    }


def _line(order_id: int, line_no: int, sku: str, price: Decimal) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_no": line_no,
        "sku": f"{sku}-{line_no}",
        "name": sku.replace("-", " ").title(),
        "quantity": Decimal(1),
        "quantity_shipped": Decimal(0),
        "unit_price_excl_vat": price,
        "discount_amount": Decimal(0),
        "vat_rate": Decimal("0.25"),
        "line_total_excl_vat": price,
        "line_vat": (price * Decimal("0.25")).quantize(Decimal("0.01")),
    }


def _payment(order_id: int, status: PaymentStatus, amount: Decimal) -> dict[str, Any]:
    captured = amount if status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CANCELLED) else 0
    refunded = amount if status is PaymentStatus.REFUNDED else 0
    return {
        "order_id": order_id,
        "provider": PaymentProvider.KLARNA.value,
        "provider_order_id": f"kl-{order_id}",
        "status": status.value,
        "currency": "SEK",
        "authorized_amount": amount,
        "captured_amount": Decimal(captured),
        "refunded_amount": Decimal(refunded),
    }
