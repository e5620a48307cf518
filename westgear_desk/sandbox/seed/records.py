"""The generated records: frozen dataclasses, the `BrokenKind` tags and shared constants."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

LOCATIONS = ("GBG-MAIN", "STO-STORE")
CURRENCY = "SEK"
PRICE_LIST = "LIST"
CAMPAIGN = "CAMPAIGN"
B2B_LEVELS = {"B2B-A": 85, "B2B-B": 75}  # percent of the list price
# Seeded records were last modified before this instant plus `index * MODIFIED_STEP`, always
# in the past, so sandbox changes (stamped with the wall clock) are newer than any seed data.
SEED_EPOCH = datetime(2025, 6, 1, tzinfo=UTC)
MODIFIED_STEP = timedelta(seconds=7)


class BrokenKind(enum.StrEnum):
    """What is deliberately wrong with a generated record."""

    MISSING_SKU = "missing_sku"
    MISSING_NAME = "missing_name"
    MISSING_VAT = "missing_vat"
    MISSING_PRICE = "missing_price"
    VARIANT_MISSING_PARENT = "variant_missing_parent"
    VARIANT_INCONSISTENT_ATTRIBUTES = "variant_inconsistent_attributes"
    INVALID_GTIN = "invalid_gtin"
    VAT_MISMATCH = "vat_mismatch"
    NEGATIVE_STOCK = "negative_stock"
    CAMPAIGN_WITHOUT_VALIDITY = "campaign_without_validity"
    CAMPAIGN_ABOVE_LIST = "campaign_above_list"
    UNKNOWN_CURRENCY = "unknown_currency"
    DUPLICATE_SKU = "duplicate_sku"
    UNKNOWN_FIELD = "unknown_field"


BROKEN_KINDS: tuple[BrokenKind, ...] = tuple(BrokenKind)
UNKNOWN_FIELD_NAME = "sustainabilityScore"  # the "new field" a broken record carries


@dataclass(frozen=True, slots=True)
class SeedPrice:
    """One price of a variant in one price list (list, campaign or a B2B level)."""

    price_list: str
    currency: str
    incl_vat: Decimal
    excl_vat: Decimal
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeedStock:
    """Stock of one variant at one location."""

    location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class SeedVariant:
    """One sellable variant (size/colour/...) of a product."""

    sku: str | None
    parent_remote_id: str
    gtin: str | None
    attributes: Mapping[str, str]
    prices: tuple[SeedPrice, ...]
    stock: tuple[SeedStock, ...]
    weight_kg: Decimal
    dims_cm: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class SeedDangerousGoods:
    """ADR classification of a product that ships as dangerous goods."""

    un_number: str
    dg_class: str


@dataclass(frozen=True, slots=True)
class SeedProduct:
    """A catalog product with its variants; `broken` names what is wrong with it (if anything)."""

    index: int
    remote_id: str
    local_id: str
    sku: str | None
    category: str
    brand: str
    names: Mapping[str, str]  # language -> name ("sv", "en"); empty when broken
    descriptions: Mapping[str, str]
    vat_rate: Decimal | None
    variant_attribute_names: tuple[str, ...]
    variants: tuple[SeedVariant, ...]
    specifications: tuple[tuple[str, str], ...]
    media: tuple[str, ...]
    dangerous_goods: SeedDangerousGoods | None
    freight: bool
    created: datetime
    modified: datetime
    extra_fields: Mapping[str, object] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SeedAddress:
    """A postal address (generated street and number in a real Swedish town)."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str = "SE"


@dataclass(frozen=True, slots=True)
class SeedCustomer:
    """A B2C (`org_number` None) or B2B customer; B2B customers buy from a B2B price list."""

    index: int
    remote_id: str
    local_id: str
    kind: str  # "b2c" | "b2b"
    first_name: str
    last_name: str
    company_name: str | None
    org_number: str | None  # 10 digits, no dash
    vat_number: str | None  # SE{orgnr}01
    email: str
    phone: str
    address: SeedAddress
    price_list: str | None
    language: str
    created: datetime
    modified: datetime


@dataclass(frozen=True, slots=True)
class SeedOrderLine:
    """One order row: `price_per_unit_excl_vat` is the price paid (discount already applied)."""

    sku: str
    name: str
    quantity: int
    price_per_unit_excl_vat: Decimal
    vat_rate: Decimal
    discount_excl_vat: Decimal


@dataclass(frozen=True, slots=True)
class SeedOrder:
    """A shop order referencing generated SKUs and customers."""

    index: int
    remote_id: str
    local_id: str
    remote_order_no: str
    channel: str
    customer: SeedCustomer
    order_status: str
    shipping_status: str
    payment_status: str
    payment_method: str
    currency: str
    lines: tuple[SeedOrderLine, ...]
    shipping_excl_vat: Decimal
    billing_address: SeedAddress
    shipping_address: SeedAddress
    created: datetime
    modified: datetime
