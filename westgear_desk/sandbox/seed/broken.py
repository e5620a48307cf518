"""Breakers: each turns a valid product into one carrying a single, named defect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from westgear_desk.sandbox.seed.catalog import money, price
from westgear_desk.sandbox.seed.records import (
    CAMPAIGN,
    LOCATIONS,
    PRICE_LIST,
    UNKNOWN_FIELD_NAME,
    BrokenKind,
    SeedProduct,
    SeedStock,
)


def _with_variant(
    product: SeedProduct, pos: int, broken: BrokenKind, **changes: object
) -> SeedProduct:
    variants = list(product.variants)
    variants[pos] = replace(variants[pos], **changes)  # type: ignore[arg-type]
    return replace(product, variants=tuple(variants), broken=frozenset({broken.value}))


def _tag(product: SeedProduct, kind: BrokenKind, **changes: object) -> SeedProduct:
    return replace(product, broken=frozenset({kind.value}), **changes)  # type: ignore[arg-type]


def _with_price(
    product: SeedProduct, kind: BrokenKind, change: Mapping[str, object]
) -> SeedProduct:
    variant = product.variants[0]
    prices = tuple(
        replace(p, **change) if p.price_list == PRICE_LIST else p  # type: ignore[arg-type]
        for p in variant.prices
    )
    return _with_variant(product, 0, kind, prices=prices)


def _campaign(product: SeedProduct, kind: BrokenKind) -> SeedProduct:
    variant = product.variants[0]
    rate = product.vat_rate or Decimal(25)
    listed = next(p for p in variant.prices if p.price_list == PRICE_LIST)
    others = tuple(p for p in variant.prices if p.price_list != CAMPAIGN)
    if kind is BrokenKind.CAMPAIGN_ABOVE_LIST:
        start = product.modified - timedelta(days=2)
        campaign = price(
            CAMPAIGN,
            listed.incl_vat + 100,
            rate,
            valid_from=start,
            valid_to=start + timedelta(days=30),
        )
    else:
        campaign = price(CAMPAIGN, money(listed.incl_vat * Decimal("0.7")), rate)
    return _with_variant(product, 0, kind, prices=(*others, campaign))


def _invalid_gtin(product: SeedProduct) -> SeedProduct:
    gtin = product.variants[0].gtin or ""
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    return _with_variant(product, 0, BrokenKind.INVALID_GTIN, gtin=wrong)


def _vat_mismatch(product: SeedProduct) -> SeedProduct:
    listed = next(p for p in product.variants[0].prices if p.price_list == PRICE_LIST)
    return _with_price(
        product,
        BrokenKind.VAT_MISMATCH,
        {
            "excl_vat": money(
                listed.incl_vat / Decimal("1.12") if product.vat_rate != 12 else listed.incl_vat
            )
        },
    )


def _negative_stock(product: SeedProduct) -> SeedProduct:
    stock = (SeedStock(LOCATIONS[0], -3), *product.variants[0].stock[1:])
    return _with_variant(product, 0, BrokenKind.NEGATIVE_STOCK, stock=stock)


def _missing_price(product: SeedProduct) -> SeedProduct:
    prices = tuple(p for p in product.variants[0].prices if p.price_list != PRICE_LIST)
    return _with_variant(product, 0, BrokenKind.MISSING_PRICE, prices=prices)


def _inconsistent_attributes(product: SeedProduct) -> SeedProduct:
    attrs = dict(product.variants[0].attributes)
    if attrs:
        attrs.pop(next(iter(attrs)))
    attrs["material"] = "Okänt"
    return _with_variant(product, 0, BrokenKind.VARIANT_INCONSISTENT_ATTRIBUTES, attributes=attrs)


BREAKERS: dict[BrokenKind, Callable[[SeedProduct], SeedProduct]] = {
    BrokenKind.MISSING_SKU: lambda p: _with_variant(p, 0, BrokenKind.MISSING_SKU, sku=None),
    BrokenKind.MISSING_NAME: lambda p: _tag(p, BrokenKind.MISSING_NAME, names={}),
    BrokenKind.MISSING_VAT: lambda p: _tag(p, BrokenKind.MISSING_VAT, vat_rate=None),
    BrokenKind.MISSING_PRICE: _missing_price,
    BrokenKind.VARIANT_MISSING_PARENT: lambda p: _with_variant(
        p, 0, BrokenKind.VARIANT_MISSING_PARENT, parent_remote_id=f"art-missing-{p.index}"
    ),
    BrokenKind.VARIANT_INCONSISTENT_ATTRIBUTES: _inconsistent_attributes,
    BrokenKind.INVALID_GTIN: _invalid_gtin,
    BrokenKind.VAT_MISMATCH: _vat_mismatch,
    BrokenKind.NEGATIVE_STOCK: _negative_stock,
    BrokenKind.CAMPAIGN_WITHOUT_VALIDITY: lambda p: _campaign(
        p, BrokenKind.CAMPAIGN_WITHOUT_VALIDITY
    ),
    BrokenKind.CAMPAIGN_ABOVE_LIST: lambda p: _campaign(p, BrokenKind.CAMPAIGN_ABOVE_LIST),
    BrokenKind.UNKNOWN_CURRENCY: lambda p: _with_price(
        p, BrokenKind.UNKNOWN_CURRENCY, {"currency": "SKR"}
    ),
    BrokenKind.UNKNOWN_FIELD: lambda p: _tag(
        p, BrokenKind.UNKNOWN_FIELD, extra_fields={UNKNOWN_FIELD_NAME: 3}
    ),
}


def duplicate_sku(product: SeedProduct, taken_sku: str | None) -> SeedProduct:
    """Give the first variant of `product` a SKU that an earlier product already uses."""
    return _with_variant(product, 0, BrokenKind.DUPLICATE_SKU, sku=taken_sku)
