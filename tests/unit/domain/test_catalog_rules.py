"""Catalog rules, one behaviour each, on contract-shaped products built from the seed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain import catalog_rules as rules
from westgear_desk.integrations.sharespine.contract import Product
from westgear_desk.sandbox.seed import BrokenKind, generate_product
from westgear_desk.sandbox.sharespine.payloads import product_json


def payload(index: int = 3) -> dict[str, Any]:
    return product_json(generate_product(11, index, 0.0, 3))


def v0(data: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = data["variants"][0]
    return first


def codes(data: dict[str, Any]) -> set[str]:
    return {reason.code for reason in rules.validate_product(Product.model_validate(data))}


def test_a_valid_product_has_no_reasons() -> None:
    assert codes(payload()) == set()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p: p["variants"][0].update(sku=None), "missing_sku"),
        (lambda p: p.update(title={"en": "Only English"}), "missing_name"),
        (lambda p: p.pop("vatRatePercent"), "missing_vat_rate"),
        (lambda p: p.update(vatRatePercent="2.5"), "invalid_vat_rate"),
        (lambda p: p["variants"][0].update(prices=[]), "missing_price"),
        (lambda p: p.update(variants=[]), "no_variants"),
        (lambda p: p["variants"][0].update(gtin=None), "missing_gtin"),
        (lambda p: p.update(brand=" "), "missing_brand"),
        (lambda p: p.update(description={"en": "x"}), "missing_description"),
        (
            lambda p: p["variants"][0].update(parentRemoteId="art-elsewhere"),
            "variant_without_parent",
        ),
        (
            lambda p: p["variants"][0].update(options={"colour": "Röd"}),
            "variant_attributes_inconsistent",
        ),
        (lambda p: p["variants"][0]["stockPerLocation"][0].update(stock="-1"), "negative_stock"),
        (lambda p: p["variants"][0]["stockPerLocation"][0].update(stock="1.0001"), "invalid_stock"),
        (lambda p: p["variants"][0]["prices"][0].update(currency="SKR"), "unknown_currency"),
        (lambda p: p["variants"][0]["prices"][0].update(priceInclVat="-5"), "invalid_price"),
        (lambda p: p["variants"][0]["prices"][0].update(priceInclVat="10.005"), "invalid_price"),
        (lambda p: p["variants"][0].update(sku="X" * 65), "field_too_long"),
        (lambda p: p.update(brand="A\x00B"), "invalid_characters"),
    ],
)
def test_each_rule_names_its_code(change: Any, code: str) -> None:
    data = payload()
    change(data)
    assert code in codes(data)


def test_gtin_check_digit() -> None:
    data = payload()
    gtin = data["variants"][0]["gtin"]
    data["variants"][0]["gtin"] = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    reasons = rules.rule_invalid_gtin(Product.model_validate(data))
    assert [(r.code, r.field) for r in reasons] == [("invalid_gtin", "variants.0.gtin")]
    assert data["variants"][0]["gtin"] in reasons[0].message_sv


def test_vat_mismatch_allows_one_ore_but_not_more() -> None:
    data = payload()
    price = data["variants"][0]["prices"][0]
    rate = 1 + Decimal(data["vatRatePercent"]) / 100
    price["priceExclVat"] = str((Decimal(price["priceInclVat"]) / rate).quantize(Decimal("0.01")))
    assert "vat_mismatch" not in codes(data)
    price["priceExclVat"] = str(Decimal(price["priceExclVat"]) + Decimal("0.02"))
    assert "vat_mismatch" in codes(data)


def test_campaign_needs_dates_and_may_not_exceed_list_price() -> None:
    data = payload()
    listed = data["variants"][0]["prices"][0]
    campaign = {**listed, "priceList": "CAMPAIGN", "validFrom": None, "validTo": None}
    data["variants"][0]["prices"].append(campaign)
    assert "campaign_without_validity" in codes(data)
    campaign.update(
        validFrom="2025-01-01T00:00:00Z",
        validTo="2025-02-01T00:00:00Z",
        priceInclVat=str(Decimal(listed["priceInclVat"]) + 1),
        priceExclVat=None,
    )
    found = codes(data)
    assert "campaign_above_list" in found
    assert "campaign_without_validity" not in found


def test_duplicate_skus_across_products_keep_the_first_owner() -> None:
    first = Product.model_validate(payload(1))
    second_data = payload(2)
    second_data["variants"][1]["sku"] = first.variants[0].sku
    second = Product.model_validate(second_data)
    found = rules.find_duplicate_skus([first, second], {})
    assert list(found) == [1]
    assert found[1][0].field == "variants.1.sku"
    assert rules.find_duplicate_skus([second], {first.variants[0].sku or "": "art-x"})[0][
        0
    ].message_en.endswith("product art-x.")


def test_schema_drift_reasons_name_the_fields() -> None:
    reasons = rules.rule_schema_drift(["carbonFootprintKg"], ["sku"], [("stock", "not a number")])
    assert [(r.code, r.field) for r in reasons] == [
        ("schema_unknown_field", "carbonFootprintKg"),
        ("schema_missing_field", "sku"),
        ("schema_type_changed", "stock"),
    ]


@pytest.mark.parametrize(
    "kind", [k for k in BrokenKind if k not in {BrokenKind.DUPLICATE_SKU, BrokenKind.UNKNOWN_FIELD}]
)
def test_every_seeded_defect_is_found(kind: BrokenKind) -> None:
    for index in range(4000):
        product = generate_product(5, index, 0.5)
        if kind.value in product.broken:
            assert codes(product_json(product))
            return
    pytest.skip(f"no {kind} in the first 4000 products")


@given(st.integers(0, 2000))
def test_every_reason_speaks_both_languages(index: int) -> None:
    model = Product.model_validate(product_json(generate_product(8, index, 0.5)))
    for reason in rules.validate_product(model):
        assert reason.code
        assert reason.message_sv
        assert reason.message_en
        assert reason.message_sv != reason.message_en
