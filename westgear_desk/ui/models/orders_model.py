"""The orders table model: the lazy id model with the order columns and their SQL read models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_orders
from westgear_desk.db.queries_orders import OrderFilter, OrderRow
from westgear_desk.ui.formatting import format_datetime, format_money
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.lazy_table import Column, LazyTableModel, SortSpec

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from westgear_desk.ui.tasks import TaskRunner

register(
    {
        "orders.col.number": ("Ordernr", "Order no."),
        "orders.col.placed": ("Lagd", "Placed"),
        "orders.col.customer": ("Kund", "Customer"),
        "orders.col.email": ("E-post", "E-mail"),
        "orders.col.channel": ("Kanal", "Channel"),
        "orders.col.status": ("Status", "Status"),
        "orders.col.payment": ("Betalning", "Payment"),
        "orders.col.total": ("Summa", "Total"),
        "order.status.new": ("Ny", "New"),
        "order.status.confirmed": ("Bekräftad", "Confirmed"),
        "order.status.on_hold": ("Pausad", "On hold"),
        "order.status.picking": ("Plockas", "Picking"),
        "order.status.packed": ("Packad", "Packed"),
        "order.status.part_shipped": ("Delskickad", "Part shipped"),
        "order.status.shipped": ("Skickad", "Shipped"),
        "order.status.completed": ("Klar", "Completed"),
        "order.status.cancelled": ("Makulerad", "Cancelled"),
        "order.status.returned": ("Returnerad", "Returned"),
        "payment.state.none": ("Ingen betalning", "No payment"),
        "payment.state.authorized": ("Reserverad", "Authorized"),
        "payment.state.captured": ("Dragen", "Captured"),
        "payment.state.part_captured": ("Delvis dragen", "Part captured"),
        "payment.state.refunded": ("Återbetald", "Refunded"),
        "payment.state.part_refunded": ("Delvis återbetald", "Part refunded"),
        "payment.state.cancelled": ("Avbruten", "Cancelled"),
        "payment.state.expired": ("Förfallen", "Expired"),
    }
)

STATUS_COLORS = {"cancelled": "#9e9e9e", "on_hold": "#b26a00", "new": "#1565c0"}


def status_text(status: str) -> str:
    return tr(f"order.status.{status}")


def payment_text(state: str | None) -> str:
    return tr(f"payment.state.{state or 'none'}")


def order_columns() -> list[Column[OrderRow]]:
    """The table's columns; the keys are `queries_orders.SORT_KEYS` where sortable."""
    return [
        Column("order_number", lambda: tr("orders.col.number"), lambda r: r.order_number),
        Column(
            "placed_at", lambda: tr("orders.col.placed"), lambda r: format_datetime(r.placed_at)
        ),
        Column("customer", lambda: tr("orders.col.customer"), lambda r: r.customer_name),
        Column("email", lambda: tr("orders.col.email"), lambda r: r.email or ""),
        Column("channel", lambda: tr("orders.col.channel"), lambda r: r.channel or ""),
        Column(
            "status",
            lambda: tr("orders.col.status"),
            lambda r: status_text(r.status.value),
            color=lambda r: STATUS_COLORS.get(r.status.value),
        ),
        Column(
            "payment",
            lambda: tr("orders.col.payment"),
            lambda r: payment_text(r.payment_state),
            sortable=False,
        ),
        Column(
            "total",
            lambda: tr("orders.col.total"),
            lambda r: format_money(r.total_incl_vat, r.currency),
            align_right=True,
        ),
    ]


class OrderQueries:
    """The two functions the lazy model runs in the TaskRunner, each in its own session."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def ids(self, flt: OrderFilter, sort: SortSpec) -> list[int]:
        with self._factory() as session:
            return queries_orders.order_ids(session, flt, sort.key, sort.descending)

    def first(self, flt: OrderFilter, sort: SortSpec, limit: int) -> list[int]:
        with self._factory() as session:
            return queries_orders.order_ids(session, flt, sort.key, sort.descending, limit)

    def rows(self, ids: Sequence[int]) -> list[OrderRow]:
        with self._factory() as session:
            return queries_orders.order_rows(session, ids)


class OrdersModel(LazyTableModel[OrderRow]):
    """All orders matching an `OrderFilter`, newest first until the user sorts."""

    def __init__(
        self, tasks: TaskRunner, factory: sessionmaker[Session], parent: QObject | None = None
    ) -> None:
        queries = OrderQueries(factory)
        super().__init__(
            tasks,
            order_columns(),
            fetch_ids=queries.ids,
            fetch_rows=queries.rows,
            fetch_first=queries.first,
            parent=parent,
        )
        self.set_sort("placed_at", descending=True)
