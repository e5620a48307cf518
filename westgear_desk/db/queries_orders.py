"""Read models for the Orders page: ids for a filter and sort (in SQL), rows for a page of ids.

Screens get frozen dataclasses, never ORM rows (STYLE.md, "parse at the edge"). Every function
takes a session the caller owns; the caller runs it off the GUI thread. The order detail and its
cross-system timeline live in `queries_timeline`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from westgear_desk.db.enums import OrderStatus, PaymentStatus
from westgear_desk.db.models import Customer, Order, OrderLine, Payment
from westgear_desk.db.session import is_postgres

SHOP_ZONE: Final = ZoneInfo("Europe/Stockholm")
#: The payment-state filter value for orders without any payment row.
NO_PAYMENT: Final = "none"
MAX_TERMS: Final = 6


@dataclass(frozen=True)
class OrderFilter:
    """What the user filters on. `text` words must each match number, customer, e-mail or SKU.

    Dates are shop-local (Europe/Stockholm) calendar days, both inclusive.
    """

    text: str = ""
    statuses: tuple[OrderStatus, ...] = ()
    channel: str | None = None
    payment_state: str | None = None
    placed_from: dt.date | None = None
    placed_to: dt.date | None = None


@dataclass(frozen=True)
class OrderRow:
    """One line of the orders table."""

    id: int
    order_number: str
    placed_at: dt.datetime
    customer_name: str
    email: str | None
    channel: str | None
    status: OrderStatus
    payment_state: str | None
    currency: str
    total_incl_vat: Decimal


@dataclass(frozen=True)
class FilterOptions:
    """The values the filter boxes offer, from the data itself."""

    channels: list[str] = field(default_factory=list)
    payment_states: list[str] = field(default_factory=list)


_SORT_COLUMNS: Final[dict[str, Any]] = {
    "order_number": Order.order_number,
    "placed_at": Order.placed_at,
    "customer": Customer.name,
    "email": Order.email,
    "channel": Order.channel,
    "status": Order.status,
    "total": Order.total_incl_vat,
}
SORT_KEYS: Final = tuple(_SORT_COLUMNS)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHOP_ZONE).astimezone(dt.UTC)


def _matches(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    pattern: str,
    native_nocase: bool,
) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores ASCII case; ILIKE's lower() on both sides is 2x slower there.
    return column.like(pattern) if native_nocase else column.ilike(pattern)


def _term_clause(term: str, native_nocase: bool, first_rows: bool) -> ColumnElement[bool]:
    pattern = f"%{term}%"
    customers = select(Customer.id).where(_matches(Customer.name, pattern, native_nocase))
    sku_match = (
        OrderLine.sku.like(f"{term}%")
        if native_nocase
        else func.lower(OrderLine.sku).like(f"{term.lower()}%")  # ix_order_lines_sku_lower
    )
    # For the first rows (LIMIT) a per-order lookup stops early; for all ids one pass over
    # the lines into a set is cheaper than a lookup for every order.
    lines = (
        exists().where(OrderLine.order_id == Order.id, sku_match)
        if first_rows
        else Order.id.in_(select(OrderLine.order_id).where(sku_match))
    )
    return or_(
        _matches(Order.order_number, pattern, native_nocase),
        _matches(Order.email, pattern, native_nocase),
        Order.customer_id.in_(customers),
        lines,
    )


def _payment_clause(state: str) -> ColumnElement[bool]:
    if state == NO_PAYMENT:
        return ~exists().where(Payment.order_id == Order.id)
    return exists().where(Payment.order_id == Order.id, Payment.status == PaymentStatus(state))


def _where(flt: OrderFilter, native_nocase: bool, first_rows: bool) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    terms = flt.text.split()[:MAX_TERMS]
    clauses.extend(_term_clause(term, native_nocase, first_rows) for term in terms)
    if flt.statuses:
        clauses.append(Order.status.in_(flt.statuses))
    if flt.channel:
        clauses.append(Order.channel == flt.channel)
    if flt.payment_state:
        clauses.append(_payment_clause(flt.payment_state))
    if flt.placed_from:
        clauses.append(Order.placed_at >= _day_start(flt.placed_from))
    if flt.placed_to:
        clauses.append(Order.placed_at < _day_start(flt.placed_to + dt.timedelta(days=1)))
    return clauses


def order_ids_statement(
    flt: OrderFilter,
    sort_key: str | None = None,
    descending: bool = True,
    *,
    native_nocase: bool = False,
    first_rows: bool = False,
) -> Select[Any]:
    """The SELECT of matching order ids, sorted (newest first by default; id breaks ties).

    `native_nocase`: the database's LIKE ignores case by itself (SQLite), so plain LIKE is used.
    `first_rows`: the statement will be LIMITed; plan for stopping early.
    """
    stmt = select(Order.id)
    if sort_key == "customer":
        stmt = stmt.outerjoin(Customer, Customer.id == Order.customer_id)
    clauses = _where(flt, native_nocase, first_rows)
    if clauses:
        stmt = stmt.where(and_(*clauses))
    column = _SORT_COLUMNS.get(sort_key or "placed_at", Order.placed_at)
    if descending:
        return stmt.order_by(column.desc(), Order.id.desc())
    return stmt.order_by(column.asc(), Order.id.asc())


def order_ids(
    session: Session,
    flt: OrderFilter,
    sort_key: str | None = None,
    descending: bool = True,
    limit: int | None = None,
) -> list[int]:
    """Return the ids of the orders matching `flt` in display order (the first `limit`)."""
    stmt = order_ids_statement(
        flt,
        sort_key,
        descending,
        native_nocase=not is_postgres(session),
        first_rows=limit is not None,
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def _latest_payment_state() -> Any:
    """The status of an order's newest payment (a correlated subquery: one statement a page)."""
    return (
        select(Payment.status)
        .where(Payment.order_id == Order.id)
        .order_by(Payment.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _display_name(customer_name: str | None, billing: dict[str, Any] | None) -> str:
    if customer_name:
        return customer_name
    if billing:
        for key in ("name", "company", "full_name"):
            value = billing.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        first, last = billing.get("first_name") or "", billing.get("last_name") or ""
        return f"{first} {last}".strip()
    return ""


def order_rows(session: Session, ids: Sequence[int]) -> list[OrderRow]:
    """Return the rows for `ids` (any order; ids that no longer exist are left out).

    Only the shown columns are selected (no ORM objects): a page of rows is built in a few
    milliseconds, which keeps scrolling smooth while pages load in the background.
    """
    if not ids:
        return []
    result = session.execute(
        select(
            Order.id,
            Order.order_number,
            Order.placed_at,
            Customer.name,
            Order.billing_address,
            Order.email,
            Order.channel,
            Order.status,
            Order.currency,
            Order.total_incl_vat,
            _latest_payment_state().label("payment_state"),
        )
        .outerjoin(Customer, Customer.id == Order.customer_id)
        .where(Order.id.in_(list(ids)))
    )
    return [
        OrderRow(
            id=row.id,
            order_number=row.order_number,
            placed_at=row.placed_at,
            customer_name=_display_name(row.name, None if row.name else row.billing_address),
            email=row.email,
            channel=row.channel,
            status=OrderStatus(row.status),
            payment_state=None if row.payment_state is None else str(row.payment_state),
            currency=row.currency,
            total_incl_vat=row.total_incl_vat,
        )
        for row in result
    ]


def filter_options(session: Session) -> FilterOptions:
    """Distinct channels and payment states present in the data."""
    channels = session.scalars(
        select(Order.channel).where(Order.channel.is_not(None)).distinct().order_by(Order.channel)
    )
    states = session.scalars(select(Payment.status).distinct().order_by(Payment.status))
    return FilterOptions([c for c in channels if c], [str(s) for s in states])


def count_orders(session: Session) -> int:
    """How many orders exist (for the status line)."""
    return int(session.scalar(select(func.count(Order.id))) or 0)
