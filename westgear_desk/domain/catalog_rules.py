"""Product validation: one function per rule, each naming what is wrong in Swedish and English.

The rules read products through small protocols (the Sharespine contract models satisfy
them), so they stay pure: no I/O, no SQL, no HTTP. A product that breaks any rule is
quarantined with every reason found, never published half-valid. Stable reason codes are
the `CODE_*` constants; docs/catalog.md explains each for an admin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from typing import Final, Protocol

from westgear_desk.domain.identifiers import gtin_check_digit
from westgear_desk.domain.quarantine import Reason

LIST_PRICE: Final = "LIST"
CAMPAIGN_PRICE: Final = "CAMPAIGN"
KNOWN_CURRENCIES: Final = frozenset({"SEK", "EUR", "NOK", "DKK", "USD", "GBP"})
SWEDISH_VAT_RATES: Final = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(25)})
ONE_ORE: Final = Decimal("0.01")
ONE_MILLI: Final = Decimal("0.001")
MAX_MONEY: Final = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_QUANTITY: Final = Decimal("999999999.999")  # Numeric(12, 3)
#: Room for any in-range amount or quantity, so quantize never rounds away a digit silently.
_EXACT: Final = Context(prec=40)

CODE_MISSING_SKU: Final = "missing_sku"
CODE_MISSING_NAME: Final = "missing_name"
CODE_MISSING_VAT_RATE: Final = "missing_vat_rate"
CODE_INVALID_VAT_RATE: Final = "invalid_vat_rate"
CODE_MISSING_PRICE: Final = "missing_price"
CODE_MISSING_ID: Final = "missing_id"
CODE_NO_VARIANTS: Final = "no_variants"
CODE_MISSING_GTIN: Final = "missing_gtin"
CODE_MISSING_BRAND: Final = "missing_brand"
CODE_MISSING_DESCRIPTION: Final = "missing_description"
CODE_INVALID_GTIN: Final = "invalid_gtin"
CODE_DUPLICATE_SKU: Final = "duplicate_sku"
CODE_VARIANT_WITHOUT_PARENT: Final = "variant_without_parent"
CODE_VARIANT_ATTRIBUTES: Final = "variant_attributes_inconsistent"
CODE_VAT_MISMATCH: Final = "vat_mismatch"
CODE_INVALID_PRICE: Final = "invalid_price"
CODE_NEGATIVE_STOCK: Final = "negative_stock"
CODE_INVALID_STOCK: Final = "invalid_stock"
CODE_CAMPAIGN_WITHOUT_VALIDITY: Final = "campaign_without_validity"
CODE_CAMPAIGN_ABOVE_LIST: Final = "campaign_above_list"
CODE_INVALID_PERIOD: Final = "invalid_price_period"
CODE_UNKNOWN_CURRENCY: Final = "unknown_currency"
CODE_FIELD_TOO_LONG: Final = "field_too_long"
CODE_DUPLICATE_ENTRY: Final = "duplicate_entry"
CODE_REJECTED_BY_STORE: Final = "rejected_by_store"
CODE_INVALID_CHARACTERS: Final = "invalid_characters"
CODE_SCHEMA_UNKNOWN_FIELD: Final = "schema_unknown_field"
CODE_SCHEMA_MISSING_FIELD: Final = "schema_missing_field"
CODE_SCHEMA_TYPE_CHANGED: Final = "schema_type_changed"
DRIFT_CODES: Final = frozenset(
    {CODE_SCHEMA_UNKNOWN_FIELD, CODE_SCHEMA_MISSING_FIELD, CODE_SCHEMA_TYPE_CHANGED}
)


class PriceLike(Protocol):
    """One price of a variant on one price list."""

    @property
    def price_list(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def price_incl_vat(self) -> Decimal | None: ...
    @property
    def price_excl_vat(self) -> Decimal | None: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_to(self) -> datetime | None: ...


class LocationStockLike(Protocol):
    """Stock of a variant at one location."""

    @property
    def location_id(self) -> str: ...
    @property
    def stock(self) -> Decimal: ...


class VariantLike(Protocol):
    """A sellable variant of a product."""

    @property
    def remote_id(self) -> str | None: ...
    @property
    def parent_remote_id(self) -> str | None: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def gtin(self) -> str | None: ...
    @property
    def options(self) -> Mapping[str, str]: ...
    @property
    def stock(self) -> Decimal | None: ...
    @property
    def stock_per_location(self) -> Sequence[LocationStockLike]: ...
    @property
    def prices(self) -> Sequence[PriceLike]: ...


class MediaLike(Protocol):
    """An image of a product."""

    @property
    def url(self) -> str: ...
    @property
    def alt(self) -> Mapping[str, str]: ...


class SpecLike(Protocol):
    """One specification of a product (name and value)."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> str: ...


class ProductLike(Protocol):
    """A product with its variants."""

    @property
    def remote_id(self) -> str | None: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def title(self) -> Mapping[str, str]: ...
    @property
    def description(self) -> Mapping[str, str]: ...
    @property
    def brand(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def vat_rate_percent(self) -> Decimal | None: ...
    @property
    def variant_attribute_names(self) -> Sequence[str]: ...
    @property
    def variants(self) -> Sequence[VariantLike]: ...
    @property
    def media(self) -> Sequence[MediaLike]: ...
    @property
    def attributes(self) -> Sequence[SpecLike]: ...


@dataclass(frozen=True, slots=True)
class ChannelRequirements:
    """What one sales channel needs before it can list a product."""

    channel: str
    gtin: bool = False
    brand: bool = False
    description_languages: tuple[str, ...] = ()


#: The web shop shows a Swedish description; the marketplaces (Prisjakt, CDON) need GTIN+brand.
DEFAULT_CHANNELS: Final = (
    ChannelRequirements("webshop", description_languages=("sv",)),
    ChannelRequirements("marketplace", gtin=True, brand=True),
)

ProductRule = Callable[[ProductLike], list[Reason]]


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _vfield(index: int, name: str) -> str:
    return f"variants.{index}.{name}"


# ------------------------------------------------------------------ required fields


def rule_missing_ids(product: ProductLike) -> list[Reason]:
    """The product and each variant need Sharespine's remoteId (our key for them)."""
    reasons = []
    if _blank(product.remote_id):
        reasons.append(
            Reason(
                CODE_MISSING_ID,
                "remoteId",
                "Produkten saknar remoteId.",
                "The product has no remoteId.",
            )
        )
    for i, variant in enumerate(product.variants):
        if _blank(variant.remote_id):
            reasons.append(
                Reason(
                    CODE_MISSING_ID,
                    _vfield(i, "remoteId"),
                    f"Variant {i + 1} saknar remoteId.",
                    f"Variant {i + 1} has no remoteId.",
                )
            )
    return reasons


def rule_missing_sku(product: ProductLike) -> list[Reason]:
    """Every variant needs an article number (SKU)."""
    return [
        Reason(
            CODE_MISSING_SKU,
            _vfield(i, "sku"),
            f"Variant {i + 1} saknar artikelnummer (SKU).",
            f"Variant {i + 1} has no article number (SKU).",
        )
        for i, variant in enumerate(product.variants)
        if _blank(variant.sku)
    ]


def rule_missing_name(product: ProductLike) -> list[Reason]:
    """The product needs a Swedish name (the shop's main language)."""
    if not _blank(product.title.get("sv")):
        return []
    return [
        Reason(
            CODE_MISSING_NAME,
            "title.sv",
            "Produkten saknar namn på svenska.",
            "The product has no Swedish name.",
        )
    ]


def rule_vat_rate(product: ProductLike) -> list[Reason]:
    """The product needs a Swedish VAT rate (0, 6, 12 or 25 %)."""
    rate = product.vat_rate_percent
    if rate is None:
        return [
            Reason(
                CODE_MISSING_VAT_RATE,
                "vatRatePercent",
                "Produkten saknar momssats.",
                "The product has no VAT rate.",
            )
        ]
    if rate not in SWEDISH_VAT_RATES:
        return [
            Reason(
                CODE_INVALID_VAT_RATE,
                "vatRatePercent",
                f"Momssatsen {rate} % finns inte i Sverige (0, 6, 12 eller 25 %).",
                f"VAT rate {rate} % is not a Swedish rate (0, 6, 12 or 25 %).",
            )
        ]
    return []


def rule_missing_price(product: ProductLike) -> list[Reason]:
    """Every variant needs a list price (incl. VAT) to be sold."""
    reasons = []
    for i, variant in enumerate(product.variants):
        listed = [p for p in variant.prices if p.price_list == LIST_PRICE]
        if not listed or all(p.price_incl_vat is None for p in listed):
            reasons.append(
                Reason(
                    CODE_MISSING_PRICE,
                    _vfield(i, "prices"),
                    f"Variant {i + 1} saknar listpris.",
                    f"Variant {i + 1} has no list price.",
                )
            )
    return reasons


def rule_no_variants(product: ProductLike) -> list[Reason]:
    """A product without variants has nothing to sell."""
    if product.variants:
        return []
    return [
        Reason(
            CODE_NO_VARIANTS,
            "variants",
            "Produkten har inga varianter.",
            "The product has no variants.",
        )
    ]


def rule_channel_completeness(
    product: ProductLike, channels: Sequence[ChannelRequirements] = DEFAULT_CHANNELS
) -> list[Reason]:
    """GTIN, brand and descriptions where a sales channel requires them."""
    reasons: list[Reason] = []
    for channel in channels:
        if channel.brand and _blank(product.brand):
            reasons.append(
                Reason(
                    CODE_MISSING_BRAND,
                    "brand",
                    f"Varumärke saknas (krävs av {channel.channel}).",
                    f"Brand is missing (required by {channel.channel}).",
                )
            )
        reasons.extend(
            Reason(
                CODE_MISSING_DESCRIPTION,
                f"description.{language}",
                f"Beskrivning på '{language}' saknas (krävs av {channel.channel}).",
                f"Description in '{language}' is missing (required by {channel.channel}).",
            )
            for language in channel.description_languages
            if _blank(product.description.get(language))
        )
        if channel.gtin:
            reasons.extend(
                Reason(
                    CODE_MISSING_GTIN,
                    _vfield(i, "gtin"),
                    f"Variant {i + 1} saknar EAN/GTIN (krävs av {channel.channel}).",
                    f"Variant {i + 1} has no EAN/GTIN (required by {channel.channel}).",
                )
                for i, variant in enumerate(product.variants)
                if _blank(variant.gtin)
            )
    return reasons


# ------------------------------------------------------------------ identifiers

_GTIN_LENGTHS: Final = frozenset({8, 12, 13, 14})


def is_valid_gtin(value: str) -> bool:
    """GTIN-8/12/13/14 digits with the right GS1 check digit (the same check as stdnum's)."""
    code = value.strip()
    return (
        len(code) in _GTIN_LENGTHS
        and code.isascii()
        and code.isdigit()
        and gtin_check_digit(code[:-1]) == code[-1]
    )


def rule_invalid_gtin(product: ProductLike) -> list[Reason]:
    """A GTIN that is given must be 8, 12, 13 or 14 digits with a correct check digit."""
    return [
        Reason(
            CODE_INVALID_GTIN,
            _vfield(i, "gtin"),
            f"EAN/GTIN {variant.gtin!r} på variant {i + 1} har fel kontrollsiffra eller längd.",
            f"EAN/GTIN {variant.gtin!r} of variant {i + 1} has a wrong check digit or length.",
        )
        for i, variant in enumerate(product.variants)
        if variant.gtin is not None and variant.gtin.strip() and not is_valid_gtin(variant.gtin)
    ]


def rule_duplicate_sku_within(product: ProductLike) -> list[Reason]:
    """Two variants of one product may not share a SKU."""
    counts = Counter(v.sku for v in product.variants if not _blank(v.sku))
    return [
        duplicate_sku_reason(i, sku, "denna produkt", "this product")
        for i, variant in enumerate(product.variants)
        if (sku := variant.sku) is not None and counts.get(sku, 0) > 1
    ]


def duplicate_sku_reason(index: int, sku: str, owner_sv: str, owner_en: str) -> Reason:
    """The reason for variant `index` whose SKU another variant (of `owner`) already has."""
    return Reason(
        CODE_DUPLICATE_SKU,
        _vfield(index, "sku"),
        f"Artikelnumret {sku!r} används redan av {owner_sv}.",
        f"Article number {sku!r} is already used by {owner_en}.",
    )


def find_duplicate_skus(
    products: Sequence[ProductLike], taken: Mapping[str, str]
) -> dict[int, list[Reason]]:
    """Duplicate SKUs across products, by position in `products`.

    `taken` maps SKUs already stored to the remoteId of their product. The first product
    (in order) to claim a SKU keeps it; later ones get a duplicate_sku reason.
    """
    return duplicate_skus(
        [(p.remote_id or "", [v.sku for v in p.variants]) for p in products], taken
    )


def duplicate_skus(
    products: Sequence[tuple[str, Sequence[str | None]]], taken: Mapping[str, str]
) -> dict[int, list[Reason]]:
    """`find_duplicate_skus` on (remoteId, variant SKUs in order) of each product."""
    owners = dict(taken)
    found: dict[int, list[Reason]] = {}
    for position, (mine, skus) in enumerate(products):
        claimed = []
        for i, sku in enumerate(skus):
            if _blank(sku):
                continue
            assert sku is not None
            owner = owners.get(sku)
            if owner is not None and owner != mine:
                found.setdefault(position, []).append(
                    duplicate_sku_reason(i, sku, f"produkt {owner}", f"product {owner}")
                )
            else:
                claimed.append(sku)
        if position not in found:
            owners.update(dict.fromkeys(claimed, mine))
    return found


# ------------------------------------------------------------------ variants


def rule_variant_parent(product: ProductLike) -> list[Reason]:
    """Each variant must name this product as its parent."""
    return [
        Reason(
            CODE_VARIANT_WITHOUT_PARENT,
            _vfield(i, "parentRemoteId"),
            f"Variant {i + 1} pekar på en förälder som inte finns ({variant.parent_remote_id!r}).",
            f"Variant {i + 1} points to a parent that does not exist "
            f"({variant.parent_remote_id!r}).",
        )
        for i, variant in enumerate(product.variants)
        if variant.parent_remote_id != product.remote_id
    ]


def rule_variant_attributes(product: ProductLike) -> list[Reason]:
    """Every variant has a value for exactly the product's variant axes, each combination once."""
    names = set(product.variant_attribute_names)
    reasons = []
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for i, variant in enumerate(product.variants):
        keys = set(variant.options)
        combo = tuple(sorted(variant.options.items()))
        if keys != names:
            reasons.append(
                Reason(
                    CODE_VARIANT_ATTRIBUTES,
                    _vfield(i, "options"),
                    f"Variant {i + 1} har egenskaperna {sorted(keys)}, "
                    f"men produkten varierar på {sorted(names)}.",
                    f"Variant {i + 1} has attributes {sorted(keys)}, "
                    f"but the product varies by {sorted(names)}.",
                )
            )
        elif names and combo in seen:
            reasons.append(
                Reason(
                    CODE_VARIANT_ATTRIBUTES,
                    _vfield(i, "options"),
                    f"Variant {i + 1} har samma egenskaper som variant {seen[combo] + 1}.",
                    f"Variant {i + 1} has the same attributes as variant {seen[combo] + 1}.",
                )
            )
        seen.setdefault(combo, i)
    return reasons


# ------------------------------------------------------------------ prices


def _prices(product: ProductLike) -> Iterable[tuple[int, int, PriceLike]]:
    for i, variant in enumerate(product.variants):
        for j, price in enumerate(variant.prices):
            yield i, j, price


def _pfield(i: int, j: int, name: str) -> str:
    return f"variants.{i}.prices.{j}.{name}"


def _bad_amount(value: Decimal | None) -> bool:
    """Negative, too large, not finite, or with öre fractions (10.005; 10.500 is fine)."""
    if value is None:
        return False
    if not value.is_finite() or value < 0 or value > MAX_MONEY:
        return True
    # In range, so quantizing is exact in _EXACT: equal unless it has fractions of an öre.
    return value != value.quantize(ONE_ORE, context=_EXACT)


def rule_price_amounts(product: ProductLike) -> list[Reason]:
    """Amounts are non-negative kronor with at most two decimals (öre)."""
    return [
        Reason(
            CODE_INVALID_PRICE,
            _pfield(i, j, "priceInclVat"),
            f"Priset i {price.price_list} på variant {i + 1} är negativt "
            "eller har fler än två decimaler.",
            f"The {price.price_list} price of variant {i + 1} is negative "
            "or has more than two decimals.",
        )
        for i, j, price in _prices(product)
        if _bad_amount(price.price_incl_vat) or _bad_amount(price.price_excl_vat)
    ]


def rule_vat_consistency(product: ProductLike) -> list[Reason]:
    """Price excl. VAT times (1 + rate) must equal the price incl. VAT within one öre."""
    rate = product.vat_rate_percent
    if rate is None or rate not in SWEDISH_VAT_RATES:
        return []
    factor = 1 + rate / 100
    reasons = []
    for i, j, price in _prices(product):
        incl, excl = price.price_incl_vat, price.price_excl_vat
        if incl is None or excl is None or _bad_amount(incl) or _bad_amount(excl):
            continue
        if abs(excl * factor - incl) > ONE_ORE:
            reasons.append(
                Reason(
                    CODE_VAT_MISMATCH,
                    _pfield(i, j, "priceExclVat"),
                    f"{price.price_list}: {excl} exkl. moms stämmer inte med {incl} inkl. "
                    f"{rate} % moms (mer än ett öre fel).",
                    f"{price.price_list}: {excl} excl. VAT does not match {incl} incl. "
                    f"{rate} % VAT (off by more than one öre).",
                )
            )
    return reasons


def rule_unknown_currency(product: ProductLike) -> list[Reason]:
    """Prices must be in a currency the shop knows (ISO 4217 codes the shop sells in)."""
    return [
        Reason(
            CODE_UNKNOWN_CURRENCY,
            _pfield(i, j, "currency"),
            f"Okänd valuta {price.currency!r} i prislistan {price.price_list}.",
            f"Unknown currency {price.currency!r} on price list {price.price_list}.",
        )
        for i, j, price in _prices(product)
        if price.currency not in KNOWN_CURRENCIES
    ]


def rule_price_periods(product: ProductLike) -> list[Reason]:
    """A price that starts and ends must end after it starts."""
    return [
        Reason(
            CODE_INVALID_PERIOD,
            _pfield(i, j, "validTo"),
            f"Priset i {price.price_list} på variant {i + 1} slutar innan det börjar.",
            f"The {price.price_list} price of variant {i + 1} ends before it starts.",
        )
        for i, j, price in _prices(product)
        if price.valid_from is not None
        and price.valid_to is not None
        and price.valid_to <= price.valid_from
    ]


def rule_campaign(product: ProductLike) -> list[Reason]:
    """A campaign price needs a validity period and may not exceed the list price."""
    reasons = []
    for i, variant in enumerate(product.variants):
        listed = {
            p.currency: p.price_incl_vat
            for p in variant.prices
            if p.price_list == LIST_PRICE and p.price_incl_vat is not None
        }
        for j, price in enumerate(variant.prices):
            if price.price_list != CAMPAIGN_PRICE:
                continue
            if price.valid_from is None or price.valid_to is None:
                reasons.append(
                    Reason(
                        CODE_CAMPAIGN_WITHOUT_VALIDITY,
                        _pfield(i, j, "validFrom"),
                        f"Kampanjpriset på variant {i + 1} saknar start- eller slutdatum.",
                        f"The campaign price of variant {i + 1} has no start or end date.",
                    )
                )
            list_price = listed.get(price.currency)
            incl = price.price_incl_vat
            if list_price is not None and incl is not None and incl > list_price:
                reasons.append(
                    Reason(
                        CODE_CAMPAIGN_ABOVE_LIST,
                        _pfield(i, j, "priceInclVat"),
                        f"Kampanjpriset {incl} på variant {i + 1} är högre än listpriset "
                        f"{list_price}.",
                        f"The campaign price {incl} of variant {i + 1} is above the list price "
                        f"{list_price}.",
                    )
                )
    return reasons


# ------------------------------------------------------------------ stock


def _bad_quantity(value: Decimal) -> bool:
    if not value.is_finite() or abs(value) > MAX_QUANTITY:
        return True
    return value != value.quantize(ONE_MILLI, context=_EXACT)


def rule_stock(product: ProductLike) -> list[Reason]:
    """Stock is never negative, and fits the stored precision (three decimals)."""
    reasons: list[Reason] = []
    for i, variant in enumerate(product.variants):
        total = variant.stock
        levels = variant.stock_per_location
        if (total is None or (not _bad_quantity(total) and total >= 0)) and all(
            not _bad_quantity(level.stock) and level.stock >= 0 for level in levels
        ):
            continue  # the common case: nothing to name
        quantities = [(_vfield(i, "stock"), total, "")] + [
            (
                f"{_vfield(i, 'stockPerLocation')}.{k}.stock",
                level.stock,
                f" @ {level.location_id}",
            )
            for k, level in enumerate(levels)
        ]
        for path, value, where in quantities:
            if value is None:
                continue
            if _bad_quantity(value):
                reasons.append(
                    Reason(
                        CODE_INVALID_STOCK,
                        path,
                        f"Lagersaldot {value} på variant {i + 1}{where} går inte att lagra.",
                        f"The stock {value} of variant {i + 1}{where} cannot be stored.",
                    )
                )
            elif value < 0:
                reasons.append(
                    Reason(
                        CODE_NEGATIVE_STOCK,
                        path,
                        f"Negativt lagersaldo ({value}) på variant {i + 1}{where}.",
                        f"Negative stock ({value}) on variant {i + 1}{where}.",
                    )
                )
    return reasons


def _repeats(keys: Iterable[object]) -> set[object]:
    listed = keys if isinstance(keys, list) else list(keys)
    if len(set(listed)) == len(listed):
        return set()
    return {key for key, n in Counter(listed).items() if n > 1}


def rule_duplicate_entries(product: ProductLike) -> list[Reason]:
    """Variant ids, one price per list and start date, one stock figure per location."""
    reasons = [
        Reason(
            CODE_DUPLICATE_ENTRY,
            "variants",
            f"Variant-id {key!r} förekommer flera gånger.",
            f"Variant id {key!r} occurs more than once.",
        )
        for key in _repeats([v.remote_id for v in product.variants if v.remote_id])
    ]
    for i, variant in enumerate(product.variants):
        reasons.extend(
            Reason(
                CODE_DUPLICATE_ENTRY,
                _vfield(i, "prices"),
                f"Variant {i + 1} har flera priser i {key[0]} med samma startdatum.",
                f"Variant {i + 1} has several {key[0]} prices with the same start date.",
            )
            for key in _repeats([(p.price_list, p.valid_from) for p in variant.prices])
            if isinstance(key, tuple)
        )
        reasons.extend(
            Reason(
                CODE_DUPLICATE_ENTRY,
                _vfield(i, "stockPerLocation"),
                f"Variant {i + 1} har flera lagersaldon för lagerstället {key!r}.",
                f"Variant {i + 1} has several stock figures for location {key!r}.",
            )
            for key in _repeats([s.location_id for s in variant.stock_per_location])
        )
    return reasons


# ------------------------------------------------------------------ sizes the store keeps

_PRODUCT_LIMITS: Final = (
    ("remoteId", "remote_id", 200),
    ("brand", "brand", 200),
    ("category", "category", 200),
)
_VARIANT_LIMITS: Final = (("remoteId", "remote_id", 200), ("sku", "sku", 64), ("gtin", "gtin", 14))
_LOCATION_MAX: Final = 64
_PRICE_LIST_MAX: Final = 64
_CURRENCY_MAX: Final = 3


def _too_long(path: str, value: str | None, limit: int) -> Reason | None:
    if value is None or len(value) <= limit:
        return None
    return Reason(
        CODE_FIELD_TOO_LONG,
        path,
        f"Fältet {path} är längre än {limit} tecken.",
        f"Field {path} is longer than {limit} characters.",
    )


def _variant_fits(variant: VariantLike) -> bool:
    """True when no identifier of the variant, its stock or its prices is too long."""
    return (
        all(len(getattr(variant, attr) or "") <= n for _, attr, n in _VARIANT_LIMITS)
        and all(len(level.location_id) <= _LOCATION_MAX for level in variant.stock_per_location)
        and all(
            len(p.price_list) <= _PRICE_LIST_MAX and len(p.currency) <= _CURRENCY_MAX
            for p in variant.prices
        )
    )


def rule_field_lengths(product: ProductLike) -> list[Reason]:
    """Texts and identifiers must fit what the shop stores (e.g. SKU 64, name 300 chars)."""
    found = [_too_long(path, getattr(product, attr), n) for path, attr, n in _PRODUCT_LIMITS]
    for language, name in product.title.items():
        found.append(_too_long(f"title.{language}", name, 300))
        found.append(_too_long(f"title.{language}", language, 8))
    found.extend(_too_long(f"description.{lang}", lang, 8) for lang in product.description)
    for k, media in enumerate(product.media):
        found.append(_too_long(f"media.{k}.url", media.url, 1000))
    for i, variant in enumerate(product.variants):
        if _variant_fits(variant):
            continue  # the common case: no path to spell out
        found.extend(
            _too_long(_vfield(i, path), getattr(variant, attr), n)
            for path, attr, n in _VARIANT_LIMITS
        )
        for k, level in enumerate(variant.stock_per_location):
            found.append(
                _too_long(
                    f"{_vfield(i, 'stockPerLocation')}.{k}.locationId",
                    level.location_id,
                    _LOCATION_MAX,
                )
            )
        for j, price in enumerate(variant.prices):
            found.append(_too_long(_pfield(i, j, "priceList"), price.price_list, _PRICE_LIST_MAX))
            found.append(_too_long(_pfield(i, j, "currency"), price.currency, _CURRENCY_MAX))
    return [reason for reason in found if reason is not None]


def _texts(product: ProductLike) -> list[str | None]:
    """Every text of the product (built as one list: this runs for every record fetched)."""
    texts: list[str | None] = [product.remote_id, product.sku, product.brand, product.category]
    for mapping in (product.title, product.description):
        texts += mapping.keys()
        texts += mapping.values()
    for m in product.media:
        texts.append(m.url)
        texts += m.alt.values()
    for spec in product.attributes:
        texts += (spec.name, spec.value)
    texts += product.variant_attribute_names
    for v in product.variants:
        texts += (v.remote_id, v.parent_remote_id, v.sku, v.gtin)
        texts += v.options.keys()
        texts += v.options.values()
        texts += [p.price_list for p in v.prices]
        texts += [p.currency for p in v.prices]
        texts += [s.location_id for s in v.stock_per_location]
    return texts


def rule_text_characters(product: ProductLike) -> list[Reason]:
    """Texts may not hold NUL characters (no database stores them as text)."""
    if "\x00" not in "".join(filter(None, _texts(product))):
        return []
    return [
        Reason(
            CODE_INVALID_CHARACTERS,
            "",
            "Produkten innehåller ett otillåtet tecken (NUL) i en text.",
            "The product holds a forbidden character (NUL) in a text.",
        )
    ]


# ------------------------------------------------------------------ schema drift


def rule_schema_drift(
    unknown: Sequence[str], missing: Sequence[str], type_changed: Sequence[tuple[str, str]]
) -> list[Reason]:
    """Fields the contract does not know, known fields missing, or known fields of a new type."""
    reasons = [
        Reason(
            CODE_SCHEMA_UNKNOWN_FIELD,
            path,
            f"Sharespine skickar ett okänt fält '{path}' (schemaändring).",
            f"Sharespine sends an unknown field '{path}' (schema change).",
        )
        for path in unknown
    ]
    reasons.extend(
        Reason(
            CODE_SCHEMA_MISSING_FIELD,
            path,
            f"Det kända fältet '{path}' saknas (schemaändring).",
            f"The known field '{path}' is missing (schema change).",
        )
        for path in missing
    )
    reasons.extend(
        Reason(
            CODE_SCHEMA_TYPE_CHANGED,
            path,
            f"Fältet '{path}' har fått en ny typ: {detail}",
            f"Field '{path}' has a new type: {detail}",
        )
        for path, detail in type_changed
    )
    return reasons


def rejected_by_store(detail: str) -> Reason:
    """The database refused the record although every rule passed (e.g. a SKU taken by a
    product that is no longer listed); `detail` names the constraint or error class."""
    return Reason(
        CODE_REJECTED_BY_STORE,
        "",
        f"Databasen tog inte emot produkten ({detail}).",
        f"The database refused the product ({detail}).",
    )


PRODUCT_RULES: Final[tuple[ProductRule, ...]] = (
    rule_missing_ids,
    rule_no_variants,
    rule_missing_sku,
    rule_missing_name,
    rule_vat_rate,
    rule_missing_price,
    rule_channel_completeness,
    rule_invalid_gtin,
    rule_duplicate_sku_within,
    rule_duplicate_entries,
    rule_variant_parent,
    rule_variant_attributes,
    rule_price_amounts,
    rule_vat_consistency,
    rule_price_periods,
    rule_campaign,
    rule_unknown_currency,
    rule_stock,
    rule_field_lengths,
    rule_text_characters,
)


def validate_product(product: ProductLike) -> list[Reason]:
    """Every reason `product` breaks a rule (empty when it may be published)."""
    reasons: list[Reason] = []
    for rule in PRODUCT_RULES:
        reasons.extend(rule(product))
    return reasons
