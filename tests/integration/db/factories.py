"""Minimal valid rows for the database-layer tests (each call makes distinct ids)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from westgear_desk.db.enums import PriceListKind, SourceSystem
from westgear_desk.db.models import PriceList, Product, Variant

_SEQ = itertools.count(1)


def product(**overrides: object) -> Product:
    n = next(_SEQ)
    values: dict[str, object] = {
        "source_system": SourceSystem.SHARESPINE,
        "external_id": f"P-{n}",
        "name": f"Flytväst {n}",
    }
    values.update(overrides)
    return Product(**values)


def variant(parent: Product, **overrides: object) -> Variant:
    n = next(_SEQ)
    values: dict[str, object] = {
        "product": parent,
        "source_system": SourceSystem.SHARESPINE,
        "external_id": f"V-{n}",
        "sku": f"SKU-{n}",
        "attributes": {"size": "M"},
    }
    values.update(overrides)
    return Variant(**values)


def price_list(**overrides: object) -> PriceList:
    n = next(_SEQ)
    values: dict[str, object] = {
        "code": f"LIST-{n}",
        "name": f"Lista {n}",
        "kind": PriceListKind.LIST,
        "currency": "SEK",
        "includes_vat": True,
    }
    values.update(overrides)
    return PriceList(**values)


UTC_NOON = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SEK_100 = Decimal("100.00")
