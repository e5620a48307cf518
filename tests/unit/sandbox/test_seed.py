"""The WestGear data generator: deterministic, streaming, valid except where tagged broken."""

from __future__ import annotations

import itertools
import types
from collections import Counter
from decimal import Decimal

from westgear_desk.domain.identifiers import is_valid_gtin, is_valid_orgnr, is_valid_se_vat
from westgear_desk.sandbox.seed import (
    BROKEN_KINDS,
    generate_catalog,
    generate_customers,
    generate_orders,
    generate_product,
    valid_product,
)


def test_same_seed_same_stream_and_different_seed_differs() -> None:
    first = list(generate_catalog(5, 300, 0.1))
    assert first == list(generate_catalog(5, 300, 0.1))
    assert first != list(generate_catalog(6, 300, 0.1))
    assert list(generate_customers(5, 50)) == list(generate_customers(5, 50))


def test_catalog_is_a_lazy_stream_and_any_product_can_be_rebuilt() -> None:
    stream = generate_catalog(5, 10**9, 0.05)
    assert isinstance(stream, types.GeneratorType)
    products = list(itertools.islice(stream, 40))
    assert products[37] == generate_product(5, 37, 0.05)


def test_eans_valid_except_where_tagged() -> None:
    for product in generate_catalog(3, 5000, 0.05):
        bad = [v.gtin for v in product.variants if not is_valid_gtin(v.gtin)]
        assert bool(bad) == ("invalid_gtin" in product.broken), product.remote_id


def test_five_thousand_products_carry_every_defect_kind_once_each() -> None:
    products = list(generate_catalog(3, 5000, 0.05))
    kinds = Counter(k for p in products for k in p.broken)
    assert set(kinds) == {k.value for k in BROKEN_KINDS}
    assert all(len(p.broken) <= 1 for p in products)
    assert 150 < sum(kinds.values()) < 350  # about 5 %


def test_valid_products_are_consistent() -> None:
    seen: set[str] = set()
    for product in generate_catalog(9, 2000, 0.0):
        assert product.sku
        assert product.names["sv"]
        assert product.names["en"]
        assert product.vat_rate in {Decimal(25), Decimal(12), Decimal(6)}
        for variant in product.variants:
            assert variant.sku not in seen
            seen.add(variant.sku or "")
            assert variant.parent_remote_id == product.remote_id
            assert tuple(variant.attributes) == product.variant_attribute_names
            assert all(s.quantity >= 0 for s in variant.stock)
            for price in variant.prices:
                assert price.currency == "SEK"
                implied = price.excl_vat * (1 + product.vat_rate / 100)
                assert abs(implied - price.incl_vat) <= Decimal("0.01")
        if product.category in {"flare", "gas_cartridge"}:
            assert product.dangerous_goods is not None
            assert product.dangerous_goods.un_number.startswith("UN")
        if product.category in {"boat", "trailer"}:
            assert product.freight
            assert product.variants[0].weight_kg > 50


def test_fixed_version_of_a_broken_product_is_clean() -> None:
    broken = next(p for p in generate_catalog(3, 500, 0.3) if p.broken)
    fixed = valid_product(3, broken.index)
    assert not fixed.broken
    assert fixed.remote_id == broken.remote_id
    assert fixed != broken


def test_duplicate_sku_reuses_an_earlier_valid_products_sku() -> None:
    products = list(generate_catalog(3, 3000, 0.05))
    first_owner: dict[str, object] = {}
    for product in products:
        for variant in product.variants:
            if variant.sku:
                first_owner.setdefault(variant.sku, product)
    dups = [p for p in products if "duplicate_sku" in p.broken]
    assert dups
    for product in dups:
        owner = first_owner[product.variants[0].sku or ""]
        assert owner is not product
        assert not owner.broken  # type: ignore[attr-defined]
        assert owner.index < product.index  # type: ignore[attr-defined]
    others = [
        v.sku
        for p in products
        for pos, v in enumerate(p.variants)
        if v.sku and not (pos == 0 and "duplicate_sku" in p.broken)
    ]
    assert len(others) == len(set(others))


def test_requested_variant_count_is_exact() -> None:
    assert all(len(p.variants) == 4 for p in generate_catalog(1, 300, 0.0, variants_per_product=4))


def test_customers_have_valid_org_and_vat_numbers() -> None:
    customers = list(generate_customers(4, 400))
    b2b = [c for c in customers if c.kind == "b2b"]
    assert 50 < len(b2b) < 150
    assert all(is_valid_orgnr(c.org_number) and is_valid_se_vat(c.vat_number) for c in b2b)
    assert all(c.email.endswith(".example") for c in customers)


def test_orders_reference_real_valid_skus() -> None:
    catalog = list(generate_catalog(4, 200, 0.2))
    valid_skus = {v.sku for p in catalog if not p.broken for v in p.variants}
    orders = list(generate_orders(4, 100, catalog))
    assert all(line.sku in valid_skus for o in orders for line in o.lines)
    assert all(
        line.quantity > 0 and line.price_per_unit_excl_vat > 0 for o in orders for line in o.lines
    )
    b2b = [o for o in orders if o.customer.kind == "b2b"]
    assert all(o.payment_method == "invoice" for o in b2b)
