"""Valid catalog products: categories, variants, EAN-13s, prices and stock, one stream per index."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from westgear_desk.domain.identifiers import make_ean13
from westgear_desk.sandbox.seed import words
from westgear_desk.sandbox.seed.records import (
    B2B_LEVELS,
    BROKEN_KINDS,
    CAMPAIGN,
    CURRENCY,
    LOCATIONS,
    MODIFIED_STEP,
    PRICE_LIST,
    SEED_EPOCH,
    BrokenKind,
    SeedDangerousGoods,
    SeedPrice,
    SeedProduct,
    SeedStock,
    SeedVariant,
)

_CENT = Decimal("0.01")
_CATEGORY_WEIGHTS = [c.weight for c in words.CATEGORIES]


_KINDS = {"product": 1, "broken": 2, "kind": 3, "customer": 4, "order": 5}


def rng_for(seed: int, kind: str, index: int) -> random.Random:
    """The random stream of one record: a pure function of (seed, kind, index)."""
    return random.Random((seed << 40) ^ (_KINDS[kind] << 34) ^ index)


def local_id(seed: int, kind: str, index: int) -> str:
    return hashlib.blake2b(f"{seed}/{kind}/{index}".encode(), digest_size=16).hexdigest()


def _is_broken(seed: int, index: int, broken_share: float) -> bool:
    return broken_share > 0 and rng_for(seed, "broken", index).random() < broken_share


def broken_kind_for(seed: int, index: int, broken_share: float) -> BrokenKind | None:
    """Return which defect product `index` carries, or None for a valid product."""
    if not _is_broken(seed, index, broken_share):
        return None
    kind = BROKEN_KINDS[rng_for(seed, "kind", index).randrange(len(BROKEN_KINDS))]
    if kind is BrokenKind.DUPLICATE_SKU and duplicate_target(seed, index, broken_share) is None:
        return BrokenKind.INVALID_GTIN
    return kind


def duplicate_target(seed: int, index: int, broken_share: float) -> int | None:
    """The nearest earlier valid product whose first SKU a duplicate-SKU record reuses."""
    for j in range(index - 1, max(-1, index - 200), -1):
        if not _is_broken(seed, j, broken_share):
            return j
    return None


def money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def price(price_list: str, incl: Decimal, vat_rate: Decimal, **dates: datetime) -> SeedPrice:
    """A price whose excl. VAT is incl. VAT / (1 + rate), rounded half up to whole öre."""
    excl = money(incl / (1 + vat_rate / 100))
    return SeedPrice(price_list, CURRENCY, money(incl), excl, **dates)


def kronor_price(price_list: str, kronor: int, rate: int, **dates: datetime) -> SeedPrice:
    """`price` for whole kronor and an integer rate, in integer öre (same result, faster)."""
    ore = kronor * 100
    excl_ore = (ore * 200 + 100 + rate) // (2 * (100 + rate))
    return SeedPrice(
        price_list, CURRENCY, Decimal(ore).scaleb(-2), Decimal(excl_ore).scaleb(-2), **dates
    )


def _variant_prices(
    rng: random.Random, list_kronor: int, rate: int, modified: datetime
) -> tuple[SeedPrice, ...]:
    prices = [kronor_price(PRICE_LIST, list_kronor, rate)]
    if rng.random() < 0.2:
        start = modified - timedelta(days=rng.randrange(1, 20))
        prices.append(
            kronor_price(
                CAMPAIGN,
                list_kronor * 8 // 10,
                rate,
                valid_from=start,
                valid_to=start + timedelta(30),
            )
        )
    prices.extend(
        kronor_price(level, list_kronor * percent // 100, rate)
        for level, percent in B2B_LEVELS.items()
    )
    return tuple(prices)


def _variant_combos(
    rng: random.Random, cat: words.Category, wanted: int | None
) -> list[dict[str, str]]:
    if not cat.axes:
        if wanted is None:
            return [{}]
        return [{"edition": str(n + 1)} for n in range(wanted)]
    combos: list[dict[str, str]] = [{}]
    for name, values in cat.axes:
        pick = rng.sample(values, k=min(len(values), rng.randint(2, 4)))
        combos = [{**c, name: v} for c in combos for v in pick]
    if wanted is None:
        return combos[: rng.randint(1, 6)]
    if len(combos) < wanted:  # small axes: every variant gets a numbered edition axis
        combos = [{**combos[n % len(combos)], "edition": str(n + 1)} for n in range(wanted)]
    return combos[:wanted]


def _variant_sku(product_sku: str, attrs: Mapping[str, str], position: int) -> str:
    parts = [words.COLOUR_CODES.get(v, v) for v in attrs.values()]
    code = "-".join(p.replace(" ", "").replace(",", "").upper()[:6] for p in parts)
    return f"{product_sku}-{position + 1:02d}{'-' + code if code else ''}"


def _build_variants(  # noqa: PLR0917 - one private call site
    rng: random.Random,
    cat: words.Category,
    remote_id: str,
    product_sku: str,
    index: int,
    wanted: int | None,
    modified: datetime,
) -> tuple[SeedVariant, ...]:
    base_price = rng.randint(*cat.price_range)
    base_weight = rng.uniform(*cat.weight_range)
    variants = []
    for pos, attrs in enumerate(_variant_combos(rng, cat, wanted)):
        list_kronor = int(round(base_price * (1 + 0.05 * pos), -1)) - 1
        locations = LOCATIONS if cat.store_stock else LOCATIONS[:1]
        variants.append(
            SeedVariant(
                sku=_variant_sku(product_sku, attrs, pos),
                parent_remote_id=remote_id,
                gtin=make_ean13(f"735{(index * 10 + pos) % 10**9:09d}"),
                attributes=attrs,
                prices=_variant_prices(rng, list_kronor, int(cat.vat_rate), modified),
                stock=tuple(SeedStock(loc, int(rng.random() * 60)) for loc in locations),
                weight_kg=Decimal(str(round(base_weight * (1 + 0.03 * pos), 2))),
                dims_cm=cat.dims_cm,
            )
        )
    return tuple(variants)


def _axis_names(cat: words.Category, variants: tuple[SeedVariant, ...]) -> tuple[str, ...]:
    names = tuple(name for name, _ in cat.axes)
    if any("edition" in v.attributes for v in variants):
        return (*names, "edition")
    return names


def build_valid_product(seed: int, index: int, variants_per_product: int | None) -> SeedProduct:
    rng = rng_for(seed, "product", index)
    cat = rng.choices(words.CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
    brand, model = rng.choice(cat.brands), rng.choice(cat.models)
    remote_id, sku = f"art-{100000 + index}", f"WG{index + 1:06d}"
    modified = SEED_EPOCH + index * MODIFIED_STEP
    variants = _build_variants(rng, cat, remote_id, sku, index, variants_per_product, modified)
    description = rng.randrange(len(words.DESCRIPTION_SV))
    return SeedProduct(
        index=index,
        remote_id=remote_id,
        local_id=local_id(seed, "product", index),
        sku=sku,
        category=cat.key,
        brand=brand,
        names={"sv": f"{brand} {model} {cat.noun_sv}", "en": f"{brand} {model} {cat.noun_en}"},
        descriptions={
            "sv": words.DESCRIPTION_SV[description],
            "en": words.DESCRIPTION_EN[description],
        },
        vat_rate=cat.vat_rate,
        variant_attribute_names=_axis_names(cat, variants),
        variants=variants,
        specifications=tuple((name, rng.choice(values)) for name, values in cat.specs),
        media=tuple(
            f"https://media.westgear.example/products/{sku}/{n}.jpg"
            for n in range(1, rng.randint(2, 4))
        ),
        dangerous_goods=SeedDangerousGoods(cat.un_number, cat.dg_class or "")
        if cat.un_number
        else None,
        freight=cat.freight,
        created=modified - timedelta(days=rng.randrange(1, 700)),
        modified=modified,
    )
