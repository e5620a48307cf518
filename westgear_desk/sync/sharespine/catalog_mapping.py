"""Sharespine product records to rows: drift detection, validation and the content hash.

`classify` turns one page of `RecordResult`s into valid `ProductRows` (ready for the bulk
upsert) and `QuarantineItem`s (with every reason), so nothing half-checked reaches a write.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from westgear_desk.db.enums import PriceListKind, RecordType
from westgear_desk.domain import catalog_rules as rules
from westgear_desk.domain.quarantine import Reason, without_overridden
from westgear_desk.integrations.sharespine.client import RecordResult
from westgear_desk.integrations.sharespine.contract import Product, Variant
from westgear_desk.sync.quarantine import QuarantineItem

#: Top-level product keys Plugboard always sends; one that disappears is schema drift.
EXPECTED_PRODUCT_KEYS: Final = frozenset(
    {"local_id", "remote_id", "last_modified", "sku", "title", "variants"}
)
EXPECTED_VARIANT_KEYS: Final = frozenset({"sku", "prices", "parent_remote_id"})
DEFAULT_LOCATION: Final = "DEFAULT"
_ALIASES: Final = {name: f.alias or name for name, f in Product.model_fields.items()}
_VARIANT_ALIASES: Final = {name: f.alias or name for name, f in Variant.model_fields.items()}
_KNOWN_KEYS: Final = frozenset(_ALIASES.values())
MAX_KEY: Final = 200  # products.external_id and quarantine.external_id
_ERROR_PART: Final = re.compile(r"^(?P<loc>[^:]+): (?P<msg>.*)$")


@dataclass(slots=True)
class VariantRows:
    """One variant's row values and its prices and stock, keyed by codes (ids come later)."""

    external_id: str
    values: dict[str, Any]
    prices: list[dict[str, Any]]
    stock: list[tuple[str, Decimal]]

    def __reduce__(self) -> tuple[type[VariantRows], tuple[Any, ...]]:
        # a plain tuple of fields: the check process sends thousands of these a page, and the
        # default protocol for slotted classes builds a dict per object on both sides
        return (VariantRows, (self.external_id, self.values, self.prices, self.stock))


@dataclass(slots=True)
class ProductRows:
    """Everything one valid product writes, in one transaction with its children."""

    external_id: str
    content_hash: str
    modified: datetime
    brand: str | None
    values: dict[str, Any]
    texts: list[dict[str, Any]]
    media: list[dict[str, Any]]
    variants: list[VariantRows]

    def __reduce__(self) -> tuple[type[ProductRows], tuple[Any, ...]]:
        # see VariantRows.__reduce__
        return (
            ProductRows,
            (
                self.external_id,
                self.content_hash,
                self.modified,
                self.brand,
                self.values,
                self.texts,
                self.media,
                self.variants,
            ),
        )


@dataclass(slots=True)
class Classified:
    """A page split into what may be published and what is held back."""

    valid: list[ProductRows] = field(default_factory=list)
    quarantined: list[QuarantineItem] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)


def storable(text: str) -> bool:
    """True when PostgreSQL can hold `text` (no NUL character, valid UTF-8)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def storable_key(text: str) -> str:
    """`text` when it fits as an external id, else a stable digest of it.

    Such a record breaks a rule anyway (field too long, NUL character) and is quarantined;
    the digest only lets its quarantine entry be stored, looked up and refreshed.
    """
    if len(text) <= MAX_KEY and storable(text):
        return text
    data = text.encode("utf-8", "surrogatepass")
    return f"unstorable:{hashlib.sha256(data).hexdigest()[:32]}"


def product_key(model: Product) -> str:
    """Our external id of a product: Sharespine's remoteId (localId when it has none)."""
    return storable_key(model.remote_id or f"local:{model.local_id}")


def raw_key(raw: Any) -> str:
    """The external id of a record that did not even parse."""
    if isinstance(raw, Mapping):
        for name, prefix in (("remoteId", ""), ("localId", "local:")):
            value = raw.get(name)
            if isinstance(value, str) and value.strip():
                return storable_key(f"{prefix}{value}"[:MAX_KEY])
    digest = hashlib.sha256(repr(raw).encode()).hexdigest()[:32]
    return f"unparsed:{digest}"


def _has_extra(model: Product) -> bool:
    """True when any nested model kept an unknown field (cheap: no walk over plain values)."""
    nested: list[Any] = [model, model.dangerous_goods, *model.attributes, *model.media]
    for variant in model.variants:
        nested.append(variant)
        nested.extend(variant.prices)
        nested.extend(variant.stock_per_location)
    return any(m is not None and m.__pydantic_extra__ for m in nested)


def drift_reasons(model: Product) -> list[Reason]:
    """Unknown fields anywhere, and always-sent fields that went missing (product, variants)."""
    missing = []
    if not model.model_fields_set >= EXPECTED_PRODUCT_KEYS:
        missing = [_ALIASES[n] for n in sorted(EXPECTED_PRODUCT_KEYS - model.model_fields_set)]
    for i, variant in enumerate(model.variants):
        if not variant.model_fields_set >= EXPECTED_VARIANT_KEYS:
            missing.extend(
                f"variants.{i}.{_VARIANT_ALIASES[name]}"
                for name in sorted(EXPECTED_VARIANT_KEYS - variant.model_fields_set)
            )
    unknown = model.unknown_fields() if _has_extra(model) else []
    if not unknown and not missing:
        return []
    return rules.rule_schema_drift(unknown, missing, [])


def own_reasons(model: Product) -> list[Reason]:
    """Every reason `model` breaks a rule on its own (no database, no other product)."""
    return [*drift_reasons(model), *rules.validate_product(model)]


def contract_reasons(raw: Any, error: str | None) -> list[Reason]:
    """Drift reasons of a record that broke the contract, from its validation error text."""
    unknown: list[str] = []
    if isinstance(raw, Mapping):
        unknown = sorted(str(key) for key in raw if key not in _KNOWN_KEYS)
    missing, changed = [], []
    for part in (error or "<root>: not a product record").split("; "):
        match = _ERROR_PART.match(part)
        if match is None:
            continue
        loc, msg = match["loc"], match["msg"]
        if msg == "Field required":
            missing.append(loc)
        else:
            changed.append((loc, msg))
    reasons = rules.rule_schema_drift(unknown, missing, changed)
    if not reasons:
        reasons = rules.rule_schema_drift([], [], [("<root>", error or "invalid record")])
    return reasons


def content_hash(model: Product) -> str:
    """A digest of everything the record says (Rust-side JSON, so it is cheap)."""
    return hashlib.blake2b(model.__pydantic_serializer__.to_json(model), digest_size=16).hexdigest()


def price_kind(code: str) -> PriceListKind:
    if code == rules.CAMPAIGN_PRICE:
        return PriceListKind.CAMPAIGN
    if code.upper().startswith("B2B"):
        return PriceListKind.B2B
    return PriceListKind.LIST


def _is_b2b(code: str) -> bool:
    return code.upper().startswith("B2B")


def price_row(price: Any, vat_fraction: Decimal) -> dict[str, Any] | None:
    """A prices row: B2B lists in kronor excl. VAT, the others incl. VAT (None if no amount)."""
    b2b = _is_b2b(price.price_list)
    first, second = (
        (price.price_excl_vat, price.price_incl_vat)
        if b2b
        else (price.price_incl_vat, price.price_excl_vat)
    )
    amount = first if first is not None else second
    if amount is None:
        return None
    return {
        "price_list": price.price_list,
        "amount": amount,
        "currency": price.currency,
        "vat_rate": vat_fraction,
        "includes_vat": (first is not None) != b2b,
        "valid_from": price.valid_from,
        "valid_to": price.valid_to,
    }


def _variant_rows(variant: Variant, specs: dict[str, str], name: str, vat: Decimal) -> VariantRows:
    """`specs`: the product's specifications, which every variant's attributes start from."""
    options = " / ".join(variant.options.values())
    stock = [(level.location_id, level.stock) for level in variant.stock_per_location]
    if not stock and variant.stock is not None:
        stock = [(DEFAULT_LOCATION, variant.stock)]
    weight = variant.weight
    return VariantRows(
        external_id=variant.remote_id or "",
        values={
            "sku": variant.sku,
            "ean": variant.gtin,
            "name": f"{name} {options}".strip()[:300],
            "attributes": {**specs, **variant.options},
            "weight_grams": int(weight * 1000)
            if weight is not None and weight.is_finite() and 0 <= weight < 2_000_000
            else None,
        },
        prices=[row for p in variant.prices if (row := price_row(p, vat)) is not None],
        stock=stock,
    )


def product_rows(model: Product, digest: str | None = None) -> ProductRows:
    """The rows of a product that passed every rule (`digest`: its content hash, if known)."""
    name = model.title.get("sv") or ""
    vat = (model.vat_rate_percent or Decimal(0)) / 100
    specs = {spec.name: spec.value for spec in model.attributes}
    languages = sorted(set(model.title) | set(model.description))
    media: dict[str, dict[str, Any]] = {}
    for position, item in enumerate(model.media):
        media.setdefault(
            item.url,
            {
                "url": item.url,
                "position": item.position if item.position is not None else position + 1,
                "alt_text": (item.alt.get("sv") or None) and item.alt["sv"][:300],
            },
        )
    return ProductRows(
        external_id=product_key(model),
        content_hash=digest or content_hash(model),
        modified=model.last_modified,
        brand=(model.brand or "").strip() or None,
        values={"name": name[:300], "category": model.category, "vat_rate": vat},
        texts=[
            {
                "language": lang,
                "name": (model.title.get(lang) or name)[:300],
                "description": model.description.get(lang),
            }
            for lang in languages
        ],
        media=list(media.values()),
        variants=[_variant_rows(v, specs, name, vat) for v in model.variants],
    )


def quarantine_payload(model: Product) -> Any:
    """What the quarantine keeps of a parsed record: its fields as sent."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _item(model: Product, reasons: Sequence[Reason]) -> QuarantineItem:
    return QuarantineItem(
        RecordType.PRODUCT,
        product_key(model),
        list(reasons),
        quarantine_payload(model),
        display_id=model.sku or product_key(model),
    )


def classify(
    records: Sequence[RecordResult[Product]],
    taken_skus: Mapping[str, str],
    overrides: Mapping[str, frozenset[str]],
    hashes: Mapping[str, str] | None = None,
) -> Classified:
    """Split one page into valid product rows and quarantine items (all reasons each).

    `taken_skus` maps stored SKUs to their product's external id; `overrides` holds the
    reason codes an admin accepted per product; `hashes` content hashes already computed.
    """
    known = hashes or {}
    out = Classified()
    models: list[Product] = []
    for record in records:
        if record.model is None:
            key = raw_key(record.raw)
            out.seen.append(key)
            reasons = without_overridden(
                contract_reasons(record.raw, record.error), overrides.get(key, ())
            )
            if reasons:
                out.quarantined.append(
                    QuarantineItem(
                        RecordType.PRODUCT, key, reasons, record.payload(), display_id=key
                    )
                )
            continue
        models.append(record.model)
    duplicates = rules.find_duplicate_skus(models, taken_skus)
    for position, model in enumerate(models):
        key = product_key(model)
        out.seen.append(key)
        reasons = [*own_reasons(model), *duplicates.get(position, [])]
        reasons = without_overridden(reasons, overrides.get(key, ()))
        if reasons:
            out.quarantined.append(_item(model, reasons))
        else:
            out.valid.append(product_rows(model, known.get(key)))
    return out


def page_skus(records: Sequence[RecordResult[Product]]) -> list[str]:
    """Every storable variant SKU on a page (to look up which are taken already)."""
    return [
        v.sku
        for r in records
        if r.model is not None
        for v in r.model.variants
        if v.sku and storable(v.sku)
    ]
