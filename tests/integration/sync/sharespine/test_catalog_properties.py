"""Hypothesis: any product payload is published or quarantined with reasons, never a crash."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import QuarantineStatus
from westgear_desk.db.models import Product, QuarantineEntry
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.sandbox.seed import generate_product
from westgear_desk.sandbox.sharespine.payloads import product_json
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync, apply_page, record_key
from westgear_desk.sync.sharespine.prefetch import parse_product_page

_COUNTER = itertools.count()
PRODUCT_KEYS = ["remoteId", "lastModified", "sku", "title", "description", "brand",
                "vatRatePercent", "variants", "media", "attributes",
                "variantAttributeNames"]  # fmt: skip
VARIANT_KEYS = ["remoteId", "parentRemoteId", "sku", "gtin", "options", "stock",
                "stockPerLocation", "prices", "weight"]  # fmt: skip
PRICE_KEYS = ["priceList", "currency", "priceInclVat", "priceExclVat", "validFrom", "validTo"]

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.text(max_size=20),
    st.text(min_size=300, max_size=400),
    st.sampled_from(["SKR", "EUR", "", "2025-13-45T99:00:00Z", "2024-01-01T00:00:00Z", "-1"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A seeded product payload with one to four fields replaced by odd values."""
    n = next(_COUNTER)
    payload = product_json(generate_product(99, draw(st.integers(0, 500)), 0.3))
    payload["remoteId"] = f"art-h{n}"
    for i, variant in enumerate(payload["variants"]):
        variant["remoteId"] = f"art-h{n}-v{i}"
        variant["parentRemoteId"] = payload["remoteId"]
        variant["sku"] = f"H{n}-{i}" if variant["sku"] else variant["sku"]
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["product", "variant", "price", "extra"]))
        value = draw(odd_values)
        if where == "product":
            payload[draw(st.sampled_from(PRODUCT_KEYS))] = value
        elif where == "extra":
            payload[draw(st.text(min_size=1, max_size=12))] = value
        elif isinstance(payload.get("variants"), list) and payload["variants"]:
            variant = payload["variants"][0]
            if not isinstance(variant, dict):
                continue
            if where == "variant":
                variant[draw(st.sampled_from(VARIANT_KEYS))] = value
            elif isinstance(variant.get("prices"), list) and variant["prices"]:
                price = variant["prices"][0]
                if isinstance(price, dict):
                    price[draw(st.sampled_from(PRICE_KEYS))] = value
    return payload


def _sync(factory: sessionmaker[Session]) -> CatalogSync:
    creds = SharespineCredentials("t", "c", "u", "p")
    return CatalogSync(factory, SharespineClient("http://127.0.0.1:9", creds))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=mutated_payloads())
def test_any_payload_is_published_or_quarantined_with_reasons(
    session_factory: sessionmaker[Session], payload: dict[str, Any]
) -> None:
    body = json.dumps([payload], default=str, allow_nan=True).encode()
    response = httpx.Response(200, content=body, headers={"X-Total-Count": "1"})
    page = parse_product_page(response, 0, 500)
    key = record_key(page.records[0])

    counts = apply_page(_sync(session_factory), page.records, None)

    with session_factory() as session:
        published = session.scalars(
            select(Product.published).where(Product.external_id == key)
        ).one_or_none()
        entry = session.scalars(
            select(QuarantineEntry).where(QuarantineEntry.external_id == key)
        ).one_or_none()
    quarantined = entry is not None and entry.status == QuarantineStatus.OPEN
    assert counts.fetched == 1
    assert bool(published) != quarantined, (key, published, entry and entry.reasons)
    if quarantined:
        assert entry is not None
        assert entry.reasons
        assert all(r["code"] and r["message_sv"] and r["message_en"] for r in entry.reasons)
        assert counts.quarantined == 1
    else:
        assert counts.written == 1
