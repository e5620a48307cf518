"""Order sync from Sharespine: new and changed orders with their lines, idempotent and in order.

Entry point (the CLI, the scheduler and tests call it the same way)::

    sync_orders(session_factory, client, *, run_id=None, full=False, page_size=500)
        -> RunCounts

- Incremental by the `sharespine/orders` cursor (`modifiedAtOrAfter`, inclusive), moved in
  the transaction that writes the run's last batch, to the run's start less an overlap
  (never past the start; see customers.py).
- Keyed by (`sharespine`, `remoteId`); `localId` (Plugboard's own id) is kept beside it.
  Each batch is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`, run as an
  executemany that SQLAlchemy sends as multi-row statements (PostgreSQL and SQLite): the
  WHERE only lets a newer version through (`source_modified_at`, and for the same second only
  different content), so out-of-order and repeated fetches never overwrite newer data. The
  orders actually written get their lines replaced in the same transaction (delete +
  insert), carrying over what the warehouse already shipped per SKU.
- Every order gets a correlation id when first stored, kept across updates, so its timeline
  joins across Sharespine, Klarna, Fortnox and the carriers.
- Our own status only follows Sharespine's while the warehouse has not started
  (new/confirmed/on hold), except that a cancellation always comes through.
- Blocking rule failures quarantine the order (not written); unknown SKUs and unknown fields
  are notices: the order is written with every line (unknown SKUs unlinked) and an entry in
  quarantine tells an admin. A later clean version releases the entry.
- Engine hooks: `register_flows` adds the `customers_orders` flow (customers first, so orders
  link to them) on the standard schedule of that name; `register_inbox` adds the
  `order_changed` and `customer_changed` notification processors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

import pydantic
from sqlalchemy import Table, case, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import OrderStatus, RecordType, SourceSystem
from westgear_desk.db.models.catalog import Variant
from westgear_desk.db.models.customers import CustomerExternalId
from westgear_desk.db.models.orders import Order, OrderLine
from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import RecordResult, SharespineClient
from westgear_desk.integrations.sharespine.contract import DEFAULT_PAGE_SIZE, ChangeNotification
from westgear_desk.integrations.sharespine.contract import Order as ContractOrder
from westgear_desk.log import new_correlation_id
from westgear_desk.sync import quarantine
from westgear_desk.sync.flows import Flow, FlowEnvironment, FlowRegistry, RunContext
from westgear_desk.sync.inbox_worker import EventIgnored, InboxContext, InboxRegistry
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.customer_mapping import cleaned
from westgear_desk.sync.sharespine.order_mapping import OrderValues, classify, order_key, skus_of
from westgear_desk.sync.sharespine.record_runs import (
    INTEGRATION,
    chunks,
    cursor_start,
    is_newer,
    run_in_batches,
    serialize_writers,
    utcnow,
)

if TYPE_CHECKING:
    from westgear_desk.settings import Settings

RESOURCE: Final = "orders"
CUSTOMERS_ORDERS: Final = "customers_orders"
ORDER_CHANGED: Final = "order_changed"
CUSTOMER_CHANGED: Final = "customer_changed"
ORDERS = cast(Table, Order.__table__)
LINES = cast(Table, OrderLine.__table__)
VARIANTS = cast(Table, Variant.__table__)
EXTERNAL_IDS = cast(Table, CustomerExternalId.__table__)
#: Our statuses in which Sharespine's status still decides ours.
FOLLOWS_SOURCE: Final = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD)
_UPSERT_CHUNK: Final = 200
_log = logging.getLogger(__name__)


@dataclass
class _Batch:
    """What one batch decided and wrote."""

    new: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    unchanged: int = 0


def sync_orders(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    *,
    run_id: int | None = None,
    full: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    clock: Callable[[], datetime] = utcnow,
) -> RunCounts:
    """Fetch new and changed orders and store them with their lines; return the counts.

    `full` ignores the cursor. Raises the client's IntegrationError when Sharespine fails;
    batches already committed stay, the cursor does not move.
    """
    started = clock()
    since = cursor_start(session_factory, RESOURCE, full=full)
    records = client.iter_orders(modified_at_or_after=since, page_size=page_size)
    counts = run_in_batches(
        session_factory,
        records,
        lambda session, batch: store_orders(session, batch, run_id=run_id),
        resource=RESOURCE,
        started=started,
        run_id=run_id,
        page_size=page_size,
    )
    _log.info("sharespine orders: %s", counts.summary())
    return counts


def store_orders(
    session: Session, batch: Sequence[RecordResult[ContractOrder]], *, run_id: int | None
) -> RunCounts:
    """Validate and write one batch of fetched orders in the caller's transaction.

    Also the entry point for a single order (a change notification or a re-fetch).
    """
    serialize_writers(session, f"{INTEGRATION}/{RESOURCE}")
    batch = [cleaned(result) for result in batch]  # no NUL characters reach the database
    variant_ids = _variant_ids(session, sorted(skus_of(batch)))
    overrides = quarantine.overrides_for(session, RecordType.ORDER, [order_key(r) for r in batch])
    page = classify(batch, overrides, variant_ids)
    counts = RunCounts(fetched=len(batch), quarantined=len(page.quarantined))
    rows = _latest_per_id(page.rows)
    counts.unchanged += len(page.rows) - len(rows)
    done = _write(session, rows, variant_ids)
    counts.created, counts.updated = len(done.new), len(done.changed)
    counts.written = counts.created + counts.updated
    counts.unchanged += done.unchanged
    if page.quarantined or page.notices:
        quarantine.store(session, [*page.quarantined, *page.notices], run_id=run_id)
    noticed = {item.external_id for item in page.notices}
    clean = [row.remote_id for row in rows if row.remote_id not in noticed]
    counts.released = len(quarantine.auto_release(session, RecordType.ORDER, clean, run_id=run_id))
    return counts


def _latest_per_id(rows: Sequence[OrderValues]) -> list[OrderValues]:
    latest: dict[str, OrderValues] = {}
    for row in rows:
        seen = latest.get(row.remote_id)
        if seen is None or row.source_modified_at >= seen.source_modified_at:
            latest[row.remote_id] = row
    return list(latest.values())


def _variant_ids(session: Session, skus: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(skus):
        rows = session.execute(
            select(VARIANTS.c.sku, VARIANTS.c.id).where(VARIANTS.c.sku.in_(chunk))
        )
        found.update({row.sku: row.id for row in rows})
    return found


def _customer_ids(session: Session, rows: Sequence[OrderValues]) -> dict[str, int]:
    wanted = sorted({row.customer_remote_id for row in rows if row.customer_remote_id})
    found: dict[str, int] = {}
    c = EXTERNAL_IDS.c
    for chunk in chunks(wanted):
        result = session.execute(
            select(c.external_id, c.customer_id).where(
                c.source_system == SourceSystem.SHARESPINE, c.external_id.in_(chunk)
            )
        )
        found.update({row.external_id: row.customer_id for row in result})
    return found


def _stored(session: Session, remote_ids: Sequence[str]) -> dict[str, tuple[Any, Any]]:
    found: dict[str, tuple[Any, Any]] = {}
    c = ORDERS.c
    for chunk in chunks(remote_ids):
        result = session.execute(
            select(c.remote_id, c.source_modified_at, c.content_hash).where(
                c.source_system == SourceSystem.SHARESPINE, c.remote_id.in_(chunk)
            )
        )
        found.update({row.remote_id: (row.source_modified_at, row.content_hash) for row in result})
    return found


def _write(session: Session, rows: Sequence[OrderValues], variant_ids: dict[str, int]) -> _Batch:
    stored = _stored(session, [row.remote_id for row in rows])
    done = _Batch()
    due: list[OrderValues] = []
    for row in rows:
        before = stored.get(row.remote_id)
        if before is None or is_newer(
            row.source_modified_at, row.content_hash, before[0], before[1]
        ):
            due.append(row)
        else:
            done.unchanged += 1
    customers = _customer_ids(session, due)
    written: dict[int, OrderValues] = {}
    for chunk in chunks(due, _UPSERT_CHUNK):
        written.update(_upsert(session, chunk, customers))
    written_ids = {r.remote_id for r in written.values()}
    for row in due:
        if row.remote_id not in written_ids:
            done.unchanged += 1  # a newer version was written meanwhile
        elif row.remote_id in stored:
            done.changed.add(row.remote_id)
        else:
            done.new.add(row.remote_id)
    _replace_lines(session, written, variant_ids)
    return done


def _dialect_insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(ORDERS)
    return sqlite.insert(ORDERS)


def _upsert(
    session: Session, rows: Sequence[OrderValues], customers: dict[str, int]
) -> dict[int, OrderValues]:
    """Upsert a chunk; returns the orders it wrote by id (ones the guard refused are left out)."""
    values = [
        {
            **row.fields,
            "source_system": SourceSystem.SHARESPINE,
            "remote_id": row.remote_id,
            "customer_id": customers.get(row.customer_remote_id or ""),
            "source_modified_at": row.source_modified_at,
            "content_hash": row.content_hash,
            "correlation_id": new_correlation_id(),
        }
        for row in rows
    ]
    stmt = _dialect_insert(session)
    new, old = stmt.excluded, ORDERS.c
    keep = {"source_system", "remote_id", "correlation_id", "status"}
    set_: dict[str, Any] = {name: new[name] for name in values[0] if name not in keep}
    set_["status"] = case(
        (new.status == OrderStatus.CANCELLED, new.status),
        (or_(*(old.status == status for status in FOLLOWS_SOURCE)), new.status),
        else_=old.status,
    )
    set_["updated_at"] = func.now()
    guard = or_(
        old.source_modified_at.is_(None),
        old.source_modified_at < new.source_modified_at,
        (old.source_modified_at == new.source_modified_at)
        & old.content_hash.is_distinct_from(new.content_hash),
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["source_system", "remote_id"], set_=set_, where=guard
    ).returning(old.id, old.remote_id)
    by_remote = {row.remote_id: row for row in rows}
    # executemany ("insertmanyvalues"): compiled once, sent as few multi-row statements
    return {r.id: by_remote[r.remote_id] for r in session.execute(upsert, values)}


def _shipped(session: Session, order_ids: Sequence[int]) -> dict[tuple[int, str], Decimal]:
    """What the warehouse already shipped, per order and SKU (kept when lines are replaced)."""
    found: dict[tuple[int, str], Decimal] = {}
    c = LINES.c
    for chunk in chunks(order_ids):
        result = session.execute(
            select(c.order_id, c.sku, func.sum(c.quantity_shipped))
            .where(c.order_id.in_(chunk), c.quantity_shipped > 0)
            .group_by(c.order_id, c.sku)
        )
        found.update({(row[0], row[1]): Decimal(row[2]) for row in result})
    return found


def _replace_lines(
    session: Session, written: dict[int, OrderValues], variant_ids: dict[str, int]
) -> None:
    """Replace the lines of the written orders (atomically: same transaction as the order)."""
    ids = list(written)
    shipped = _shipped(session, ids)
    for chunk in chunks(ids):
        session.execute(delete(LINES).where(LINES.c.order_id.in_(chunk)))
    values = []
    for order_id, row in written.items():
        for line in row.lines:
            left = shipped.get((order_id, line.sku), Decimal(0))
            taken = min(left, line.quantity)
            shipped[(order_id, line.sku)] = left - taken
            values.append(
                {
                    **line.values(),
                    "order_id": order_id,
                    "variant_id": variant_ids.get(line.sku),
                    "quantity_shipped": taken,
                }
            )
    if values:
        session.execute(insert(LINES), values)


# ------------------------------------------------------------------ engine hooks


def fetch_order(client: SharespineClient, local_id: str) -> RecordResult[ContractOrder]:
    """One order as a page record (`GET /api/order/{localId}`): the model, or raw + error."""
    raw = client.request_json("GET", "/api/order/{local_id}", path_params={"local_id": local_id})
    try:
        return RecordResult(ContractOrder.model_validate(raw), raw)
    except pydantic.ValidationError as exc:
        return RecordResult(None, raw, describe_validation_error(exc))


def run_customers_orders(env: FlowEnvironment, ctx: RunContext) -> RunCounts:
    """The `customers_orders` flow: customers first (so orders link to them), then orders."""
    from westgear_desk.sync.sharespine.client_factory import build_client
    from westgear_desk.sync.sharespine.customers import sync_customers

    settings = cast("Settings", env.settings)
    with build_client(settings, recorder=ctx.call_recorder) as client:
        counts = sync_customers(
            ctx.session_factory,
            client,
            run_id=ctx.run_id,
            b2b_owner=settings.b2b_customer_owner,
        )
        if ctx.stopping:
            return counts
        return counts + sync_orders(ctx.session_factory, client, run_id=ctx.run_id)


def register_flows(registry: FlowRegistry, env: FlowEnvironment) -> None:
    """`customers_orders` on the standard schedule of that name."""
    registry.register(
        Flow(
            CUSTOMERS_ORDERS,
            env.schedules[CUSTOMERS_ORDERS],
            lambda ctx: run_customers_orders(env, ctx),
            "Sharespine: customers and orders changed since the last run",
        )
    )


def order_change_processor(env: FlowEnvironment) -> Callable[[InboxContext], None]:
    """Inbox processor of `order_changed`: re-fetch that order and store it (newer wins)."""
    from westgear_desk.sync.sharespine.client_factory import build_client

    def process(ctx: InboxContext) -> None:
        try:
            note = ChangeNotification.model_validate(ctx.json())
        except pydantic.ValidationError as exc:
            raise DataError(f"order notification: {describe_validation_error(exc)}") from exc
        settings = cast("Settings", env.settings)
        with build_client(settings, recorder=env.call_recorder) as client:
            try:
                record = fetch_order(client, note.local_id)
            except DataError as exc:
                if exc.status_code == 404:
                    raise EventIgnored(f"order {note.local_id} no longer in Sharespine") from exc
                raise
        with ctx.session_factory() as session, session.begin():
            counts = store_orders(session, [record], run_id=None)
        _log.info("sharespine order_changed %s: %s", note.local_id, counts.summary())

    return process


def register_inbox(registry: InboxRegistry, env: FlowEnvironment) -> None:
    """`order_changed` / `customer_changed` notifications update just that order / customer."""
    from westgear_desk.sync.sharespine.customers import customer_change_processor

    registry.register(INTEGRATION, ORDER_CHANGED, order_change_processor(env))
    registry.register(INTEGRATION, CUSTOMER_CHANGED, customer_change_processor(env))
