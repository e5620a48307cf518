"""The read side of the database for screens: typed, frozen read models, never ORM rows.

Split by area (orders and timeline and health: `queries_orders`, `queries_timeline`,
`queries_health`; catalog: `queries_catalog`; quarantine, jobs, inbox, API calls:
`queries_admin`); this module re-exports the orders, timeline and health names so callers
can write ``from westgear_desk.db import queries``. The other areas are imported from their
own modules.
"""

from __future__ import annotations

from westgear_desk.db.queries_health import (
    HealthLevel,
    IntegrationHealth,
    classify,
    integration_health,
    integration_of_schedule,
)
from westgear_desk.db.queries_orders import (
    NO_PAYMENT,
    SORT_KEYS,
    FilterOptions,
    OrderFilter,
    OrderRow,
    count_orders,
    filter_options,
    order_ids,
    order_ids_statement,
    order_rows,
)
from westgear_desk.db.queries_timeline import (
    CustomerInfo,
    EntryKind,
    OrderDetail,
    OrderLineRow,
    Outcome,
    PaymentRow,
    TimelineEntry,
    address_lines,
    order_detail,
    order_timeline,
)

__all__ = [
    "NO_PAYMENT",
    "SORT_KEYS",
    "CustomerInfo",
    "EntryKind",
    "FilterOptions",
    "HealthLevel",
    "IntegrationHealth",
    "OrderDetail",
    "OrderFilter",
    "OrderLineRow",
    "OrderRow",
    "Outcome",
    "PaymentRow",
    "TimelineEntry",
    "address_lines",
    "classify",
    "count_orders",
    "filter_options",
    "integration_health",
    "integration_of_schedule",
    "order_detail",
    "order_ids",
    "order_ids_statement",
    "order_rows",
    "order_timeline",
]
