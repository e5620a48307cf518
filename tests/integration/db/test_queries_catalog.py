"""The catalog read models: search by SKU/EAN/name, states, prices by kind, stock by location."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import CatalogIds, seed_catalog
from westgear_desk.db.enums import PriceListKind
from westgear_desk.db.queries_catalog import (
    CatalogQuery,
    CatalogSort,
    PublishState,
    find_variant,
    stock_locations,
    variant_ids,
    variant_rows,
)
from westgear_desk.db.session import unit_of_work


@pytest.fixture
def ids(session_factory: sessionmaker[Session]) -> CatalogIds:
    with unit_of_work(session_factory) as session:
        return seed_catalog(session)


def test_rows_carry_prices_stock_and_state(
    session_factory: sessionmaker[Session], ids: CatalogIds
) -> None:
    with session_factory() as session:
        all_ids = variant_ids(session, CatalogQuery())
        rows = {r.variant_id: r for r in variant_rows(session, all_ids)}
        locations = [loc.code for loc in stock_locations(session)]
    assert len(all_ids) == 4
    assert locations == ["BUT", "HUV"]
    jacket = rows[ids.published]
    assert jacket.state is PublishState.PUBLISHED
    assert jacket.prices[PriceListKind.LIST].amount == Decimal("2499.00")
    assert jacket.prices[PriceListKind.CAMPAIGN].amount == Decimal("1999.00")
    assert jacket.prices[PriceListKind.B2B].includes_vat is False
    assert jacket.stock["HUV"].available == Decimal(10)
    assert jacket.total_stock == Decimal(15)
    assert rows[ids.quarantined].state is PublishState.QUARANTINED
    assert rows[ids.inactive].state is PublishState.INACTIVE
    jacket_l = next(r for r in rows.values() if r.sku == "JKT-ABI-L")
    assert PriceListKind.CAMPAIGN not in jacket_l.prices  # its campaign has ended


@pytest.mark.parametrize(
    ("search", "expected"),
    [("jkt-abi", {"JKT-ABI-M", "JKT-ABI-L"}), ("7350000000033", {"KAY-SAL-1"}),
     ("sälen", {"KAY-SAL-1"}), ("kebne", {"TNT-KEB-2"}), ("100%", set())],
)  # fmt: skip
def test_search_matches_sku_ean_and_names(
    session_factory: sessionmaker[Session], ids: CatalogIds, search: str, expected: set[str]
) -> None:
    with session_factory() as session:
        found = variant_rows(session, variant_ids(session, CatalogQuery(search=search)))
    assert {r.sku for r in found} == expected


def test_state_filter_sort_and_scanner_lookup(
    session_factory: sessionmaker[Session], ids: CatalogIds
) -> None:
    with session_factory() as session:
        published = variant_ids(session, CatalogQuery(state=PublishState.PUBLISHED))
        quarantined = variant_ids(session, CatalogQuery(state=PublishState.QUARANTINED))
        inactive = variant_ids(session, CatalogQuery(state=PublishState.INACTIVE))
        by_sku_desc = variant_rows(
            session, variant_ids(session, CatalogQuery(sort=CatalogSort.SKU, descending=True))
        )
        assert find_variant(session, ids.ean) == ids.published
        assert find_variant(session, " KAY-SAL-1 ") == ids.quarantined
        assert find_variant(session, "7350000000") is None
    assert ids.published in published
    assert len(published) == 2
    assert quarantined == [ids.quarantined]
    assert inactive == [ids.inactive]
    assert [r.sku for r in by_sku_desc] == ["TNT-KEB-2", "KAY-SAL-1", "JKT-ABI-M", "JKT-ABI-L"]
