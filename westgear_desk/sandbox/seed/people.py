"""Generated customers (B2C, and B2B with valid org/VAT numbers) and orders over real SKUs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal

from westgear_desk.domain.identifiers import make_orgnr, vat_number_for_orgnr
from westgear_desk.sandbox.seed import words
from westgear_desk.sandbox.seed.catalog import local_id, money, rng_for
from westgear_desk.sandbox.seed.records import (
    CAMPAIGN,
    CURRENCY,
    MODIFIED_STEP,
    PRICE_LIST,
    SEED_EPOCH,
    SeedAddress,
    SeedCustomer,
    SeedOrder,
    SeedOrderLine,
    SeedProduct,
    SeedVariant,
)

ORDER_STATUSES = ("new", "new", "processing", "complete", "cancelled")
SHIPPING_FOR_STATUS = {
    "new": "not-shipped",
    "processing": "not-shipped",
    "complete": "fully-shipped",
    "cancelled": "not-shipped",
}
PAYMENT_FOR_STATUS = {
    "new": "authorized",
    "processing": "authorized",
    "complete": "captured",
    "cancelled": "cancelled",
}
SHIPPING_FEE_EXCL_VAT = (Decimal("0.00"), Decimal("39.20"), Decimal("79.20"))


def _address(rng_name: str, rng_values: tuple[str, int, int, int]) -> SeedAddress:
    city, street, number, postal_tail = rng_values
    town, prefix = words.CITIES[int(city)]
    return SeedAddress(
        name=rng_name,
        street=f"{words.STREETS[street]} {number}",
        postal_code=f"{prefix} {postal_tail:02d}",
        city=town,
    )


def generate_customer(seed: int, index: int) -> SeedCustomer:
    """Return customer number `index` for `seed`; about one in four is a B2B company."""
    rng = rng_for(seed, "customer", index)
    first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
    b2b = rng.random() < 0.25
    company = f"{last} {rng.choice(words.COMPANY_SUFFIXES)}" if b2b else None
    orgnr = make_orgnr(f"559{rng.randrange(10**6):06d}") if b2b else None
    address = _address(
        company or f"{first} {last}",
        (
            str(rng.randrange(len(words.CITIES))),
            rng.randrange(len(words.STREETS)),
            rng.randint(1, 120),
            rng.randint(10, 99),
        ),
    )
    modified = SEED_EPOCH + index * MODIFIED_STEP
    return SeedCustomer(
        index=index,
        remote_id=f"CUST-{10001 + index}",
        local_id=local_id(seed, "customer", index),
        kind="b2b" if b2b else "b2c",
        first_name=first,
        last_name=last,
        company_name=company,
        org_number=orgnr,
        vat_number=vat_number_for_orgnr(orgnr) if orgnr else None,
        email=f"{_ascii(first)}.{_ascii(last)}.{index}@kunder.example",
        phone=f"+4670{rng.randrange(10**7):07d}",
        address=address,
        price_list=rng.choice(("B2B-A", "B2B-B")) if b2b else None,
        language="sv" if rng.random() < 0.85 else "en",
        created=modified - timedelta(days=rng.randrange(1, 900)),
        modified=modified,
    )


def _ascii(name: str) -> str:
    return name.lower().translate(str.maketrans("åäö", "aao"))


def generate_customers(seed: int, n: int, *, start: int = 0) -> Iterator[SeedCustomer]:
    """Stream `n` customers (from index `start`), deterministic per seed."""
    for index in range(start, start + n):
        yield generate_customer(seed, index)


def _unit_price(variant: SeedVariant, price_list: str | None) -> Decimal:
    by_list = {p.price_list: p.excl_vat for p in variant.prices}
    if price_list and price_list in by_list:
        return by_list[price_list]
    return by_list.get(CAMPAIGN, by_list[PRICE_LIST])


def _sellable(products: Sequence[SeedProduct]) -> list[tuple[SeedProduct, SeedVariant]]:
    return [
        (p, v)
        for p in products
        if not p.broken
        for v in p.variants
        if v.sku and any(price.price_list == PRICE_LIST for price in v.prices)
    ]


def generate_order(
    seed: int,
    index: int,
    sellable: Sequence[tuple[SeedProduct, SeedVariant]],
    customers: Sequence[SeedCustomer],
) -> SeedOrder:
    """Return order number `index`, its lines drawn from `sellable` (product, variant) pairs."""
    rng = rng_for(seed, "order", index)
    customer = rng.choice(customers)
    lines = []
    for product, variant in rng.sample(sellable, k=min(len(sellable), rng.randint(1, 4))):
        paid = _unit_price(variant, customer.price_list)
        discount = money(paid * Decimal("0.1")) if rng.random() < 0.1 else Decimal("0.00")
        lines.append(
            SeedOrderLine(
                sku=variant.sku or "",
                name=product.names.get(customer.language) or product.names.get("sv", ""),
                quantity=rng.randint(1, 3),
                price_per_unit_excl_vat=paid - discount,
                vat_rate=product.vat_rate or Decimal(25),
                discount_excl_vat=discount,
            )
        )
    status = rng.choice(ORDER_STATUSES)
    created = SEED_EPOCH + index * MODIFIED_STEP * 3
    return SeedOrder(
        index=index,
        remote_id=f"WEB-{100001 + index}",
        local_id=local_id(seed, "order", index),
        remote_order_no=str(100001 + index),
        channel="b2b-portal" if customer.kind == "b2b" else rng.choice(words.CHANNELS[:-1]),
        customer=customer,
        order_status=status,
        shipping_status=SHIPPING_FOR_STATUS[status],
        payment_status=PAYMENT_FOR_STATUS[status],
        payment_method="invoice" if customer.kind == "b2b" else rng.choice(words.PAYMENT_METHODS),
        currency=CURRENCY,
        lines=tuple(lines),
        shipping_excl_vat=rng.choice(SHIPPING_FEE_EXCL_VAT),
        billing_address=customer.address,
        shipping_address=customer.address,
        created=created,
        modified=created + timedelta(hours=rng.randrange(0, 48)),
    )


def generate_orders(
    seed: int,
    n: int,
    catalog_sample: Sequence[SeedProduct],
    customers: Sequence[SeedCustomer] | None = None,
    *,
    start: int = 0,
) -> Iterator[SeedOrder]:
    """Stream `n` orders whose lines reference valid variants of `catalog_sample`.

    Broken products and variants without a SKU or list price are never ordered. Without
    `customers`, 50 generated customers of the same seed are used. Raises ValueError if the
    sample holds nothing sellable.
    """
    sellable = _sellable(catalog_sample)
    if not sellable:
        raise ValueError("catalog_sample holds no valid variant to order")
    buyers = list(customers) if customers else list(generate_customers(seed, 50))
    for index in range(start, start + n):
        yield generate_order(seed, index, sellable, buyers)
