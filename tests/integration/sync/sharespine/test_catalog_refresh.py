"""Full refresh against the Sharespine sandbox over HTTP, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.sync.sharespine.catalog_fixtures import (
    EXPECTED_CODES,
    PAGE_SIZE,
    PRODUCTS,
    Hub,
    open_entries,
    product_count,
    published_ids,
)
from westgear_desk.db.enums import RecordType
from westgear_desk.db.models import AuditEntry, Price, Product, StockLevel, Variant
from westgear_desk.db.models.stock import StockLocation
from westgear_desk.sync import quarantine
from westgear_desk.sync.runs import start_manual_run
from westgear_desk.sync.scheduler import RunFailedError
from westgear_desk.sync.sharespine.catalog import full_refresh, incremental_sync
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync


def test_broken_products_are_quarantined_with_their_reasons_and_nothing_else(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    broken = hub.broken()
    assert len({tag for tags in broken.values() for tag in tags}) >= 10  # most kinds present

    counts = full_refresh(catalog, None)

    with session_factory() as session:
        entries = open_entries(session)
        published = published_ids(session)
        variants = session.scalar(select(Variant.id).limit(1))
    assert set(entries) == set(broken)
    for remote_id, tags in broken.items():
        expected = {EXPECTED_CODES[tag] for tag in tags}
        assert expected <= entries[remote_id], remote_id
    assert published == {f"art-{100000 + i}" for i in range(PRODUCTS)} - set(broken)
    assert variants is not None
    assert counts.fetched == PRODUCTS
    assert counts.quarantined == len(broken)
    assert counts.created == PRODUCTS - len(broken)


def stored_stock(factory: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with factory() as session:
        rows = session.execute(
            select(Variant.external_id, StockLocation.code, StockLevel.quantity)
            .join(Variant, StockLevel.variant_id == Variant.id)
            .join(StockLocation, StockLevel.location_id == StockLocation.id)
        )
        return {(variant, place): int(quantity) for variant, place, quantity in rows}


def sharespine_stock(hub: Hub, remote_ids: set[str]) -> dict[tuple[str, str], int]:
    stock = {}
    with hub.client() as client:
        for record in client.iter_products():
            if record.model is not None and record.model.remote_id in remote_ids:
                for variant in record.model.variants:
                    for level in variant.stock_per_location:
                        stock[(variant.remote_id or "", level.location_id)] = int(level.stock)
    return stock


def test_stock_per_location_is_stored_as_sharespine_has_it_first_time_and_after_a_change(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    published = published_ids_of(session_factory)
    first = stored_stock(session_factory)
    assert len(first) > 100
    assert first == sharespine_stock(hub, published)

    remote_id = sorted(published)[0]
    hub.admin(
        "POST",
        f"/sharespine/products/{remote_id}/stock",
        json={"stock": 7, "locationId": "GBG-MAIN"},
    )
    full_refresh(catalog, None)

    after = stored_stock(session_factory)
    assert after == sharespine_stock(hub, published)
    assert 7 in {qty for (variant, place), qty in after.items() if place == "GBG-MAIN"}


def test_unchanged_refresh_writes_nothing(catalog: CatalogSync) -> None:
    first = full_refresh(catalog, None)
    second = full_refresh(catalog, None)
    assert first.created > 0
    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    assert second.unchanged == first.created


def test_fixing_a_product_in_sharespine_releases_it(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    remote_id = sorted(hub.broken())[0]
    hub.admin("POST", f"/sharespine/products/{remote_id}/fix")

    counts = incremental_sync(catalog, None)

    assert counts.released == 1
    assert counts.fetched == 1
    with session_factory() as session:
        assert remote_id not in open_entries(session)
        assert remote_id in published_ids(session)
        audit = session.scalars(select(AuditEntry)).one()
    assert (audit.username, audit.action) == ("system", "quarantine.auto_release")


def test_a_removed_product_becomes_inactive_with_the_run_that_saw_it(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    remote_id = sorted(published_ids_of(session_factory))[3]
    hub.admin("DELETE", f"/sharespine/products/{remote_id}")
    run_id = start_manual_run(session_factory, schedule="full_refresh", desk_id="test")

    counts = full_refresh(catalog, run_id)

    assert counts.deactivated == 1
    with session_factory() as session:
        product = session.scalars(select(Product).where(Product.external_id == remote_id)).one()
        variants = session.scalars(select(Variant).where(Variant.product_id == product.id)).all()
    assert (product.active, product.published, product.deactivated_by_run_id) == (
        False,
        False,
        run_id,
    )
    assert product.deactivated_at is not None
    assert variants
    assert all(not v.active for v in variants)


def published_ids_of(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return published_ids(session)


def test_an_interrupted_refresh_resumes_after_the_last_stored_page(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    broken = hub.broken()
    hub.faults(only_paths=["/api/product"], after_requests=3, error_rate=1.0)
    with pytest.raises(RunFailedError) as failed:
        full_refresh(catalog, None)
    # two requests are in flight at a time, so which page met the first 503 may vary
    stored = failed.value.counts.fetched
    assert stored in {PAGE_SIZE, 2 * PAGE_SIZE, 3 * PAGE_SIZE}
    with session_factory() as session:
        assert product_count(session) == len(published_ids(session))
        assert 0 < product_count(session) <= stored
    hub.faults()
    hub.admin("DELETE", "/requests")

    counts = full_refresh(catalog, None)

    offsets = [int(r["query"]["offset"]) for r in hub.requests() if r["path"] == "/api/product"]
    assert min(offsets) == stored
    assert counts.fetched == PRODUCTS - stored
    assert counts.deactivated == 0
    with session_factory() as session:
        assert product_count(session) == PRODUCTS - len(broken)
        assert published_ids(session) == {f"art-{100000 + i}" for i in range(PRODUCTS)} - set(
            broken
        )
        assert session.scalar(select(Price.id).limit(1)) is not None
        assert session.scalar(select(StockLevel.id).limit(1)) is not None


def test_an_admin_release_publishes_the_product_on_the_next_refresh(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    remote_id = sorted(hub.broken())[1]
    with session_factory.begin() as session:
        entry = quarantine.find_entry(session, RecordType.PRODUCT, remote_id)
        assert entry is not None
        quarantine.release(session, entry.id, actor="anna", reason="checked by hand")

    full_refresh(catalog, None)

    with session_factory() as session:
        assert remote_id in published_ids(session)
        after = quarantine.find_entry(session, RecordType.PRODUCT, remote_id)
    assert after is not None
    assert after.status == "released"
    assert after.resolved_by == "anna"


def test_a_truncated_page_stops_the_refresh_and_the_next_one_resumes(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    broken = hub.broken()
    hub.faults(only_paths=["/api/product"], after_requests=4, malformed_rate=1.0)
    with pytest.raises(RunFailedError) as failed:
        full_refresh(catalog, None)
    stored = failed.value.counts.fetched
    assert 0 < stored < PRODUCTS
    with session_factory() as session:
        assert product_count(session) == len(published_ids(session)) <= stored
    hub.faults()

    counts = full_refresh(catalog, None)

    assert counts.fetched == PRODUCTS - stored
    with session_factory() as session:
        assert published_ids(session) == {f"art-{100000 + i}" for i in range(PRODUCTS)} - set(
            broken
        )
