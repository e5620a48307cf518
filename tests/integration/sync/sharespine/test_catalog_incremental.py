"""Incremental and stock/price syncs, and schema drift, against the sandbox on both databases."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.sync.sharespine.catalog_fixtures import (
    PRODUCTS,
    Hub,
    open_entries,
    published_ids,
)
from westgear_desk.db.enums import QuarantineStatus
from westgear_desk.db.models import Price, PriceList, Product, QuarantineEntry, StockLevel, Variant
from westgear_desk.db.models.stock import StockLocation
from westgear_desk.sync.sharespine.catalog import full_refresh, incremental_sync
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync
from westgear_desk.sync.sharespine.stock_price import stock_price_sync


def first_variant_stock(factory: sessionmaker[Session], remote_id: str) -> Decimal:
    """Stock at GBG-MAIN of the product's first variant."""
    with factory() as session:
        return session.execute(
            select(StockLevel.quantity)
            .join(Variant, StockLevel.variant_id == Variant.id)
            .join(Product, Variant.product_id == Product.id)
            .join(StockLocation, StockLevel.location_id == StockLocation.id)
            .where(Product.external_id == remote_id, StockLocation.code == "GBG-MAIN")
            .order_by(Variant.id)
            .limit(1)
        ).scalar_one()


def list_price(factory: sessionmaker[Session], remote_id: str) -> Decimal:
    with factory() as session:
        return session.execute(
            select(Price.amount)
            .join(Variant, Price.variant_id == Variant.id)
            .join(Product, Variant.product_id == Product.id)
            .join(PriceList, Price.price_list_id == PriceList.id)
            .where(Product.external_id == remote_id, PriceList.code == "LIST")
            .order_by(Variant.id)
            .limit(1)
        ).scalar_one()


def valid_ids(factory: sessionmaker[Session], count: int) -> list[str]:
    with factory() as session:
        return sorted(published_ids(session))[:count]


def set_stock(hub: Hub, remote_id: str, stock: int) -> dict[str, Any]:
    body = {"stock": stock, "locationId": "GBG-MAIN"}
    result: dict[str, Any] = hub.admin(
        "POST", f"/sharespine/products/{remote_id}/stock", json=body
    ).json()
    return result


def test_incremental_sync_fetches_exactly_the_changed_products(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    changed = valid_ids(session_factory, 3)
    for number, remote_id in enumerate(changed):
        set_stock(hub, remote_id, 40 + number)

    counts = incremental_sync(catalog, None)

    assert (counts.fetched, counts.updated, counts.created) == (3, 3, 0)
    for number, remote_id in enumerate(changed):
        assert first_variant_stock(session_factory, remote_id) == 40 + number
    again = incremental_sync(catalog, None)
    assert again.fetched <= 3  # the same second may be fetched again (inclusive cursor)
    assert again.written == 0


def test_a_change_made_during_a_run_is_picked_up_by_the_next(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    target = valid_ids(session_factory, 1)[0]
    started = threading.Event()
    original = catalog.client.request

    def watched(*args: Any, **kwargs: Any) -> Any:
        started.set()
        return original(*args, **kwargs)

    catalog.client.request = watched  # type: ignore[method-assign]
    hub.faults(only_paths=["/api/product"], latency_ms=1500)
    runner = threading.Thread(target=incremental_sync, args=(catalog, None))
    runner.start()
    assert started.wait(10)
    set_stock(hub, target, 77)  # while the run's first request is in flight
    runner.join(30)
    assert not runner.is_alive()
    hub.faults()

    counts = incremental_sync(catalog, None)

    assert counts.fetched >= 1
    assert first_variant_stock(session_factory, target) == 77


def test_stock_price_flow_rewrites_stock_and_prices_only(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    target = valid_ids(session_factory, 1)[0]
    set_stock(hub, target, 13)
    hub.admin("POST", f"/sharespine/products/{target}/price", json={"priceInclVat": "1234.00"})

    counts = stock_price_sync(catalog, None)

    assert (counts.fetched, counts.updated) == (1, 1)
    assert first_variant_stock(session_factory, target) == 13
    assert list_price(session_factory, target) == Decimal("1234.00")
    with session_factory() as session:
        product = session.scalars(select(Product).where(Product.external_id == target)).one()
    assert product.content_hash is None  # the catalog flow rewrites the rest next time
    assert incremental_sync(catalog, None).updated == 1


def test_schema_drift_quarantines_with_drift_reasons_instead_of_failing(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    hub.faults(drift="new_field")
    counts = full_refresh(catalog, None)
    assert counts.quarantined == PRODUCTS
    with session_factory() as session:
        entries = session.scalars(select(QuarantineEntry)).all()
        assert published_ids(session) == set()
    assert len(entries) == PRODUCTS
    for entry in entries:
        drift = [r for r in entry.reasons if r["code"] == "schema_unknown_field"]
        assert [r["field"] for r in drift] == ["carbonFootprintKg"]

    hub.faults(drift="renamed_field")
    full_refresh(catalog, None)
    with session_factory() as session:
        codes = open_entries(session)
        fields = {
            (r["code"], r["field"])
            for e in session.scalars(select(QuarantineEntry)).all()
            for r in e.reasons
        }
    assert all({"schema_unknown_field", "schema_missing_field"} <= c for c in codes.values())
    assert {("schema_unknown_field", "articleNumber"), ("schema_missing_field", "sku")} <= fields

    hub.faults()
    healed = full_refresh(catalog, None)
    broken = hub.broken()
    assert healed.released == PRODUCTS - len(broken)
    with session_factory() as session:
        still = session.scalars(
            select(QuarantineEntry.external_id).where(
                QuarantineEntry.status == QuarantineStatus.OPEN
            )
        ).all()
    assert set(still) == set(broken)
