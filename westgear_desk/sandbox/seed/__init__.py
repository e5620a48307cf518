"""The deterministic WestGear data generator: catalog, customers and orders for every sandbox.

Each record is built from its own random stream (seed, kind, index), so the catalog can be
streamed from the start or any single product rebuilt on demand (the Sharespine sandbox
serves pages lazily this way). Deliberately broken records carry the set of `BrokenKind`
tags naming WHAT is broken, so tests can assert the reason codes a sync assigns.
"""

from __future__ import annotations

from collections.abc import Iterator

from westgear_desk.sandbox.seed.broken import BREAKERS, duplicate_sku
from westgear_desk.sandbox.seed.catalog import (
    broken_kind_for,
    build_valid_product,
    duplicate_target,
)
from westgear_desk.sandbox.seed.people import generate_customers, generate_orders
from westgear_desk.sandbox.seed.records import (
    BROKEN_KINDS,
    LOCATIONS,
    BrokenKind,
    SeedCustomer,
    SeedDangerousGoods,
    SeedOrder,
    SeedOrderLine,
    SeedPrice,
    SeedProduct,
    SeedStock,
    SeedVariant,
)

__all__ = [
    "BROKEN_KINDS",
    "LOCATIONS",
    "BrokenKind",
    "SeedCustomer",
    "SeedDangerousGoods",
    "SeedOrder",
    "SeedOrderLine",
    "SeedPrice",
    "SeedProduct",
    "SeedStock",
    "SeedVariant",
    "broken_kind_for",
    "generate_catalog",
    "generate_customers",
    "generate_orders",
    "generate_product",
    "valid_product",
]


def generate_product(
    seed: int, index: int, broken_share: float = 0.0, variants_per_product: int | None = None
) -> SeedProduct:
    """Return product number `index` of the catalog for `seed` (the same as in the stream)."""
    product = build_valid_product(seed, index, variants_per_product)
    kind = broken_kind_for(seed, index, broken_share)
    if kind is None:
        return product
    if kind is BrokenKind.DUPLICATE_SKU:
        target = duplicate_target(seed, index, broken_share)
        assert target is not None  # broken_kind_for checked it
        taken = build_valid_product(seed, target, variants_per_product).variants[0].sku
        return duplicate_sku(product, taken)
    return BREAKERS[kind](product)


def valid_product(seed: int, index: int, variants_per_product: int | None = None) -> SeedProduct:
    """Return the valid version of product `index` (what "fixing" a broken record yields)."""
    return build_valid_product(seed, index, variants_per_product)


def generate_catalog(
    seed: int,
    products: int,
    broken_share: float = 0.0,
    *,
    variants_per_product: int | None = None,
    start: int = 0,
) -> Iterator[SeedProduct]:
    """Stream `products` products (from index `start`), deterministic per seed.

    About `broken_share` of them carry exactly one deliberate defect, named in `broken`.
    `variants_per_product` fixes the number of variants (default: 1-6 by category).
    """
    for index in range(start, start + products):
        yield generate_product(seed, index, broken_share, variants_per_product)
