"""Order sync from the Sharespine sandbox over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from tests.helpers.sandboxes import RunningSandbox
from tests.integration.sync.sharespine.record_fixtures import count, quarantine_entries, state_of
from westgear_desk.credentials import env_var_for
from westgear_desk.db.enums import (
    InboxStatus,
    OrderStatus,
    QuarantineStatus,
    RecordType,
    SourceSystem,
)
from westgear_desk.db.models import (
    InboxEvent,
    Order,
    OrderLine,
    Product,
    QuarantineEntry,
    SyncCursor,
    Variant,
)
from westgear_desk.domain import order_rules
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import (
    RecordResult,
    SharespineClient,
)
from westgear_desk.integrations.sharespine.contract import Order as ContractOrder
from westgear_desk.sandbox.seed import SeedOrder
from westgear_desk.settings import load_settings
from westgear_desk.sync import inbox
from westgear_desk.sync.flows import FlowEnvironment, FlowRegistry, RunContext, standard_schedules
from westgear_desk.sync.inbox import InboxProcessor, InboxRegistry
from westgear_desk.sync.retry import PolicyResolver
from westgear_desk.sync.runs import start_manual_run
from westgear_desk.sync.sharespine.orders import (
    register_flows,
    register_inbox,
    store_orders,
    sync_orders,
)
from westgear_desk.sync.sharespine.record_runs import CURSOR_OVERLAP


def all_skus(sandbox: RunningSandbox) -> set[str]:
    return {line.sku for order, _ in state_of(sandbox).orders for line in order.lines}


def seed_catalog(factory: sessionmaker[Session], skus: set[str]) -> None:
    """Variants for `skus`, as the catalog sync would have stored them."""
    with factory() as session, session.begin():
        product = Product(source_system=SourceSystem.SHARESPINE, external_id="p-1", name="Test")
        product.variants = [
            Variant(source_system=SourceSystem.SHARESPINE, external_id=f"v-{sku}", sku=sku)
            for sku in sorted(skus)
        ]
        session.add(product)


def edit_order(sandbox: RunningSandbox, index: int, **changes: object) -> SeedOrder:
    """Change an order in the sandbox as the shop would (stamped now)."""
    state = state_of(sandbox)
    order, _ = state.orders[index]
    changed = dataclasses.replace(order, **changes)  # type: ignore[arg-type]
    state.orders[index] = (changed, state.clock.tick())
    return changed


def load(factory: sessionmaker[Session], remote_id: str) -> Order | None:
    with factory() as session:
        return session.scalars(
            select(Order).options(selectinload(Order.lines)).where(Order.remote_id == remote_id)
        ).one_or_none()


def entries(factory: sessionmaker[Session]) -> list[QuarantineEntry]:
    return quarantine_entries(factory, RecordType.ORDER)


def test_orders_arrive_with_lines_addresses_payment_and_channel(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    orders = state_of(sharespine_sandbox).orders

    counts = sync_orders(session_factory, client)

    assert counts.fetched == len(orders)
    assert counts.created == len(orders)
    assert counts.quarantined == 0
    assert count(session_factory, OrderLine) == sum(len(o.lines) for o, _ in orders)
    seeded, _ = orders[0]
    order = load(session_factory, seeded.remote_id)
    assert order is not None
    assert order.local_id == seeded.local_id
    assert order.order_number == seeded.remote_order_no
    assert order.channel == seeded.channel
    assert order.payment_method == seeded.payment_method
    assert order.currency == "SEK"
    assert order.source_status == seeded.order_status
    assert order.shipping_address is not None
    assert order.shipping_address["city"] == seeded.shipping_address.city
    assert order.correlation_id
    assert [line.sku for line in order.lines] == [line.sku for line in seeded.lines]
    assert all(line.variant_id is not None for line in order.lines)
    first = seeded.lines[0]
    assert order.lines[0].unit_price_excl_vat == first.price_per_unit_excl_vat
    assert order.lines[0].vat_rate == first.vat_rate / 100
    goods = sum(line.price_per_unit_excl_vat * line.quantity for line in seeded.lines)
    assert order.total_excl_vat == goods + seeded.shipping_excl_vat
    assert order.total_incl_vat == order.total_excl_vat + order.total_vat
    assert entries(session_factory) == []


def test_new_orders_in_the_sandbox_arrive_incrementally(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    sync_orders(session_factory, client)
    before = count(session_factory, Order)
    added = sharespine_sandbox.admin("POST", "/_sandbox/sharespine/orders", json={"count": 3})
    assert added.status_code == 200
    new_ids = {o["remoteId"] for o in added.json()}

    counts = sync_orders(session_factory, client)

    assert counts.fetched == 3
    assert counts.created == 3
    assert count(session_factory, Order) == before + 3
    for remote_id in new_ids:
        order = load(session_factory, remote_id)
        assert order is not None
        assert order.lines


def test_changed_order_replaces_its_lines_and_keeps_its_correlation_id(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    sync_orders(session_factory, client)
    seeded, _ = state_of(sharespine_sandbox).orders[2]
    before = load(session_factory, seeded.remote_id)
    assert before is not None
    new_lines = (dataclasses.replace(seeded.lines[0], quantity=7),)
    edit_order(sharespine_sandbox, 2, lines=new_lines, order_status="cancelled")

    counts = sync_orders(session_factory, client)

    assert counts.fetched == 1
    assert counts.updated == 1
    after = load(session_factory, seeded.remote_id)
    assert after is not None
    assert after.id == before.id
    assert after.correlation_id == before.correlation_id
    assert [(line.sku, line.quantity) for line in after.lines] == [(new_lines[0].sku, 7)]
    assert after.status == OrderStatus.CANCELLED
    assert count(session_factory, OrderLine) == sum(
        len(o.lines) for o, _ in state_of(sharespine_sandbox).orders
    )


def test_rerun_is_idempotent_and_cursor_never_passes_the_start(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    started = datetime.now(UTC)
    first = sync_orders(session_factory, client, page_size=9)
    lines = count(session_factory, OrderLine)

    again = sync_orders(session_factory, client, full=True, page_size=9)

    assert again.fetched == first.fetched
    assert again.written == 0
    assert again.unchanged == first.fetched
    assert count(session_factory, OrderLine) == lines
    with session_factory() as session:
        cursor = session.scalars(select(SyncCursor).where(SyncCursor.resource == "orders")).one()
    assert datetime.fromisoformat(cursor.value) <= datetime.now(UTC) - CURSOR_OVERLAP
    assert datetime.fromisoformat(cursor.value) >= started - CURSOR_OVERLAP - timedelta(seconds=5)


def test_older_version_never_overwrites_a_newer_one(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    newer = edit_order(sharespine_sandbox, 1, payment_method="swish")
    sync_orders(session_factory, client)
    state = state_of(sharespine_sandbox)
    _, stamp = state.orders[1]
    state.orders[1] = (dataclasses.replace(newer, payment_method="card"), stamp - timedelta(days=1))

    counts = sync_orders(session_factory, client, full=True)

    assert counts.written == 0
    order = load(session_factory, newer.remote_id)
    assert order is not None
    assert order.payment_method == "swish"


def test_unknown_sku_keeps_the_line_and_records_a_notice(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seeded, _ = state_of(sharespine_sandbox).orders[0]
    missing = seeded.lines[0].sku
    seed_catalog(session_factory, all_skus(sharespine_sandbox) - {missing})
    affected = {o.remote_id for o, _ in state_of(sharespine_sandbox).orders
                if any(line.sku == missing for line in o.lines)}  # fmt: skip

    counts = sync_orders(session_factory, client)

    assert counts.created == len(state_of(sharespine_sandbox).orders)
    order = load(session_factory, seeded.remote_id)
    assert order is not None
    line = next(line for line in order.lines if line.sku == missing)
    assert line.variant_id is None
    found = entries(session_factory)
    assert {e.external_id for e in found} == affected
    assert all(r["code"] == order_rules.ROW_UNKNOWN_SKU for e in found for r in e.reasons)

    with session_factory() as session, session.begin():  # the catalog learns the SKU
        product = session.scalars(select(Product)).one()
        product.variants.append(
            Variant(source_system=SourceSystem.SHARESPINE, external_id="v-late", sku=missing)
        )
    for index, (o, _) in enumerate(state_of(sharespine_sandbox).orders):
        if o.remote_id in affected:
            edit_order(sharespine_sandbox, index, payment_method="invoice")
    again = sync_orders(session_factory, client)
    assert again.released == len(affected)
    assert all(e.status == QuarantineStatus.RELEASED for e in entries(session_factory))


def test_broken_order_is_quarantined_and_not_stored(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    bad = edit_order(sharespine_sandbox, 3, lines=(), currency="XYZ")

    counts = sync_orders(session_factory, client)

    assert counts.quarantined == 1
    assert load(session_factory, bad.remote_id) is None
    [entry] = entries(session_factory)
    assert entry.external_id == bad.remote_id
    codes = sorted(r["code"] for r in entry.reasons)
    assert codes == sorted([order_rules.NO_ROWS, order_rules.UNKNOWN_CURRENCY])
    assert entry.raw_payload["customer"]["email"] == "[personal]"


def test_warehouse_status_is_not_undone_but_a_cancellation_comes_through(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    sync_orders(session_factory, client)
    seeded, _ = state_of(sharespine_sandbox).orders[4]
    with session_factory() as session, session.begin():
        order = session.scalars(select(Order).where(Order.remote_id == seeded.remote_id)).one()
        order.status = OrderStatus.PICKING
        order.lines[0].quantity_shipped = Decimal(1)

    edit_order(sharespine_sandbox, 4, order_status="processing", payment_method="swish")
    sync_orders(session_factory, client)
    picked = load(session_factory, seeded.remote_id)
    assert picked is not None
    assert picked.status == OrderStatus.PICKING
    assert picked.payment_method == "swish"
    assert picked.lines[0].quantity_shipped == 1  # carried over when lines were replaced

    edit_order(sharespine_sandbox, 4, order_status="cancelled")
    sync_orders(session_factory, client)
    cancelled = load(session_factory, seeded.remote_id)
    assert cancelled is not None
    assert cancelled.status == OrderStatus.CANCELLED


@pytest.fixture
def engine_env(
    session_factory: sessionmaker[Session],
    sharespine_sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> FlowEnvironment:
    """The environment the desk's engine hands to flow modules, aimed at the sandbox."""
    for name in ("tenant", "connection_id", "username", "password"):
        monkeypatch.setenv(env_var_for(f"sharespine.{name}"), sharespine_sandbox.credentials[name])
    settings = load_settings(
        integrations={"sharespine": {"base_url": f"{sharespine_sandbox.url}/api"}}
    )
    return FlowEnvironment(settings, standard_schedules(settings.schedules), session_factory)


def test_scheduled_flow_syncs_customers_then_orders_linked(
    engine_env: FlowEnvironment, sharespine_sandbox: RunningSandbox
) -> None:
    factory = engine_env.session_factory
    seed_catalog(factory, all_skus(sharespine_sandbox))
    registry = FlowRegistry()
    register_flows(registry, engine_env)
    flow = registry.get("customers_orders")
    run_id = start_manual_run(factory, schedule=flow.name, desk_id="t")

    counts = flow.run(RunContext(run_id, flow.name, datetime.now(UTC), "t", factory))

    state = state_of(sharespine_sandbox)
    assert counts.created == len(state.customers) + len(state.orders)
    with factory() as session:
        unlinked = session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id.is_(None))
        )
    assert unlinked == 0


def test_order_notification_updates_just_that_order(
    engine_env: FlowEnvironment,
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    factory = engine_env.session_factory
    seed_catalog(factory, all_skus(sharespine_sandbox))
    sync_orders(factory, client)
    changed = edit_order(sharespine_sandbox, 5, payment_method="swish")
    _, stamp = state_of(sharespine_sandbox).orders[5]
    body = json.dumps(
        {
            "eventId": "evt-order-1",
            "recordType": "order",
            "localId": changed.local_id,
            "remoteId": changed.remote_id,
            "changes": ["paymentMethod"],
            "lastModified": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).encode()
    inbox.record(factory, "sharespine", "evt-order-1", {}, body, True, event_type="order_changed")
    registry = InboxRegistry()
    register_inbox(registry, engine_env)
    processor = InboxProcessor(
        factory, registry, desk_id="t", policies=PolicyResolver(), rng=random.Random(2)
    )

    assert processor.run_once() == 1

    order = load(factory, changed.remote_id)
    assert order is not None
    assert order.payment_method == "swish"
    with factory() as session:
        status = session.scalar(select(InboxEvent.status))
    assert status == InboxStatus.PROCESSED


def test_a_new_field_never_stops_orders_but_is_noted(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    sharespine_sandbox.set_faults(drift="new_field", only_paths=["/api/order"])

    counts = sync_orders(session_factory, client)

    orders = state_of(sharespine_sandbox).orders
    assert counts.created == len(orders)
    assert counts.quarantined == 0
    found = entries(session_factory)
    assert len(found) == len(orders)
    assert {r["code"] for e in found for r in e.reasons} == {"schema_unknown_field"}


class ChangingDuringRun:
    """A client that lets the shop change an order right after the run fetched it."""

    def __init__(self, client: SharespineClient, change: Callable[[], None]) -> None:
        self.client, self.change = client, change

    def iter_orders(self, **kwargs: Any) -> Iterator[Any]:
        for number, record in enumerate(self.client.iter_orders(**kwargs)):
            yield record
            if number == 0:
                self.change()


def test_an_order_changed_while_a_run_is_in_progress_is_picked_up_next_run(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seed_catalog(session_factory, all_skus(sharespine_sandbox))
    first, _ = state_of(sharespine_sandbox).orders[0]

    def change() -> None:
        edit_order(sharespine_sandbox, 0, payment_method="changed-mid-run")

    during = ChangingDuringRun(client, change)
    sync_orders(session_factory, during, page_size=5)  # type: ignore[arg-type]
    stale = load(session_factory, first.remote_id)
    assert stale is not None
    assert stale.payment_method != "changed-mid-run"  # fetched before the change

    counts = sync_orders(session_factory, client)

    assert counts.updated == 1
    fresh = load(session_factory, first.remote_id)
    assert fresh is not None
    assert fresh.payment_method == "changed-mid-run"


_money_text = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False
).map(str)
_wild_number = st.one_of(
    _money_text,
    st.sampled_from(["0", "0.0001", "1e-30", "1E+20", "-0", "NaN", "Infinity", "12,5", ""]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.none(),
)
_text = st.one_of(st.none(), st.text(max_size=80), st.text(min_size=250, max_size=400))


@st.composite
def order_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """Order bodies as Sharespine could send them, valid or broken in any field."""
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "sku": _text,
                    "title": _text,
                    "quantity": _wild_number,
                    "pricePerUnitExclVat": _wild_number,
                    "vatRatePercent": _wild_number,
                    "discountExclVat": _wild_number,
                }
            ),
            max_size=3,
        )
    )
    address = {"name": "A", "street": draw(_text), "postalCode": "411 06", "city": "Göteborg"}
    return {
        "localId": draw(st.text(min_size=1, max_size=40)),
        "remoteId": draw(_text),
        "lastModified": "2026-01-01T12:00:00Z",
        "currency": draw(st.sampled_from(["SEK", "sek", "XYZ", "", None])),
        "orderStatus": draw(_text),
        "salesChannel": draw(_text),
        "paymentMethod": draw(_text),
        "shippingCostExclVat": draw(_wild_number),
        "shippingAddress": address,
        "rows": rows,
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(order_payloads(), min_size=1, max_size=4))
def test_any_order_payload_is_stored_or_quarantined_never_a_crash(
    session_factory: sessionmaker[Session], payloads: list[dict[str, Any]]
) -> None:
    results = []
    for raw in payloads:
        try:
            results.append(RecordResult(ContractOrder.model_validate(raw), raw))
        except pydantic.ValidationError as exc:
            results.append(RecordResult(None, raw, describe_validation_error(exc)))

    with session_factory() as session, session.begin():
        counts = store_orders(session, results, run_id=None)
        session.rollback()

    assert counts.fetched == len(payloads)
    assert counts.written + counts.unchanged + counts.quarantined == len(payloads)


def test_nul_characters_and_vanishing_quantities_are_handled(
    session_factory: sessionmaker[Session],
) -> None:
    def payload(remote_id: str, quantity: str, sku: str) -> dict[str, Any]:
        return {
            "localId": f"local-{remote_id}",
            "remoteId": remote_id,
            "lastModified": "2026-01-01T12:00:00Z",
            "currency": "SEK",
            "shippingAddress": {"street": "Gata\x00 1", "postalCode": "411 06", "city": "Gbg"},
            "customer": {"email": "a\x00@example.com"},
            "rows": [{"sku": sku, "title": "T\x00", "quantity": quantity,
                      "pricePerUnitExclVat": "10", "vatRatePercent": "25"}],
        }  # fmt: skip

    raws = [payload("WEB-\x001", "1", "SKU\x00-1"), payload("WEB-2", "1e-30", "SKU-2")]
    results = [RecordResult(ContractOrder.model_validate(raw), raw) for raw in raws]

    with session_factory() as session, session.begin():
        counts = store_orders(session, results, run_id=None)

    assert counts.created == 1
    assert counts.quarantined == 1
    stored = load(session_factory, "WEB-1")
    assert stored is not None
    assert [line.sku for line in stored.lines] == ["SKU-1"]
    [entry] = [e for e in entries(session_factory) if e.external_id == "WEB-2"]
    assert [r["code"] for r in entry.reasons] == [order_rules.ROW_BAD_QUANTITY]
