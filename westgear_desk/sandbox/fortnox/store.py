"""The Fortnox sandbox's in-memory registers, seeded from the WestGear data generator.

Records are kept in the real wire shape (PascalCase, nulls, string quirks) together with
their last-modified instant, so list, search and `lastmodified` filters work on what the
API would return.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydantic

from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.sandbox.seed import (
    SeedCustomer,
    SeedProduct,
    generate_catalog,
    generate_customers,
)

SEED_CUSTOMERS = 40
SEED_PRODUCTS = 20
REAL_URL_BASE = "https://api.fortnox.se"


def wire(model: pydantic.BaseModel) -> dict[str, Any]:
    """A model as Fortnox sends it: every known key present, empty ones null."""
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return data


def fortnox_quantity(value: Decimal) -> str:
    """Quantities as Fortnox writes them: "1", "2.5"."""
    return format(value.normalize(), "f")


def financial_year_id(day: date) -> int:
    """Sandbox financial years: calendar years, id 1 = 2024 [U: ids are per company]."""
    return day.year - 2023


@dataclass
class Record:
    """One stored resource in wire shape, and when it last changed."""

    data: dict[str, Any]
    modified: datetime


def _seed_customer(index: int, person: SeedCustomer) -> fx.Customer:
    number = str(index + 1)
    return fx.Customer(
        url=f"{REAL_URL_BASE}/3/customers/{number}",
        customer_number=number,
        name=person.company_name or f"{person.first_name} {person.last_name}",
        organisation_number=person.org_number
        and f"{person.org_number[:6]}-{person.org_number[6:]}",
        type="COMPANY" if person.kind == "b2b" else "PRIVATE",
        active=True,
        email=person.email,
        email_invoice=person.email,
        address1=person.address.street,
        zip_code=person.address.postal_code,
        city=person.address.city,
        country_code=person.address.country,
        country="Sverige",
        phone1=person.phone,
        currency="SEK",
        vat_type="SEVAT",
        vat_number=person.vat_number,
        terms_of_payment="30",
        price_list="A",
        show_price_vat_included=person.kind == "b2c",
        external_reference=person.remote_id,
    )


def _seed_articles(product: SeedProduct) -> Iterator[fx.Article]:
    for variant in product.variants:
        if not variant.sku:
            continue
        list_price = next((p for p in variant.prices if p.price_list == "LIST"), None)
        attrs = ", ".join(variant.attributes.values())
        name = product.names.get("sv", product.sku or variant.sku)
        yield fx.Article(
            url=f"{REAL_URL_BASE}/3/articles/{variant.sku}",
            article_number=variant.sku,
            description=f"{name}, {attrs}" if attrs else name,
            type="STOCK",
            active=True,
            ean=variant.gtin,
            unit="st",
            vat=product.vat_rate,
            sales_price=list_price.excl_vat if list_price else None,
            stock_goods=True,
            quantity_in_stock=Decimal(sum(s.quantity for s in variant.stock)),
            webshop_article=True,
            weight=int(variant.weight_kg * 1000),
        )


@dataclass
class FortnoxStore:
    """Every register of one sandbox company; guarded by `lock`."""

    seed: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    customers: dict[str, Record] = field(default_factory=dict)
    articles: dict[str, Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    orders: dict[str, Record] = field(default_factory=dict)
    vouchers: dict[tuple[int, str, int], Record] = field(default_factory=dict)
    used_customer_numbers: set[str] = field(default_factory=set)

    def reset(self) -> None:
        """Back to the seeded company."""
        with self.lock:
            for table in (self.customers, self.articles, self.invoices, self.orders):
                table.clear()
            self.vouchers.clear()
            self.used_customer_numbers.clear()
            for index, person in enumerate(generate_customers(self.seed, SEED_CUSTOMERS)):
                customer = _seed_customer(index, person)
                self.put("customers", str(index + 1), wire(customer), person.modified)
            for product in generate_catalog(self.seed, SEED_PRODUCTS):
                for article in _seed_articles(product):
                    assert article.article_number is not None
                    self.put("articles", article.article_number, wire(article), product.modified)
            self.seed_vouchers()

    def table(self, name: str) -> dict[Any, Record]:
        """The register called `name` ("customers", "articles", "invoices", "orders")."""
        tables: dict[str, dict[Any, Record]] = {
            "customers": self.customers,
            "articles": self.articles,
            "invoices": self.invoices,
            "orders": self.orders,
            "vouchers": self.vouchers,
        }
        return tables[name]

    def put(
        self, table: str, key: Any, data: dict[str, Any], modified: datetime | None = None
    ) -> dict[str, Any]:
        """Store (insert or replace) one record; returns its data."""
        with self.lock:
            self.table(table)[key] = Record(data, modified or datetime.now(UTC))
            if table == "customers":
                self.used_customer_numbers.add(key)
        return data

    def next_number(self, table: str) -> str:
        """The next free numeric key of a register (numbers are never reused)."""
        with self.lock:
            keys = self.table(table).keys()
            taken = self.used_customer_numbers if table == "customers" else set(keys)
            numeric = [int(k) for k in taken if str(k).isdigit()]
            return str(max(numeric, default=0) + 1)

    def next_voucher_number(self, year: int, series: str) -> int:
        """The next number in a voucher series of a financial year."""
        with self.lock:
            numbers = [n for (y, s, n) in self.vouchers if (y, s) == (year, series)]
            return max(numbers, default=0) + 1

    def seed_vouchers(self) -> None:
        """A few settlement vouchers, so the voucher list is not empty."""
        start = date(2025, 3, 3)
        for week in range(3):
            day = start + timedelta(days=7 * week)
            year = financial_year_id(day)
            number = self.next_voucher_number(year, "A")
            data = {
                "@url": f"{REAL_URL_BASE}/3/vouchers/A/{number}?financialyear={year}",
                "Comments": None,
                "Description": f"Klarna utbetalning {day.isoformat()}",
                "ReferenceNumber": "",
                "ReferenceType": "MANUAL",
                "TransactionDate": day.isoformat(),
                "VoucherNumber": number,
                "VoucherSeries": "A",
                "Year": year,
                "ApprovalState": 0,
                "VoucherRows": [
                    {"Account": 1930, "Debit": 1270.76, "Credit": 0, "Description": None},
                    {"Account": 6064, "Debit": 25.24, "Credit": 0, "Description": "Klarna avgift"},
                    {"Account": 1580, "Debit": 0, "Credit": 1296.0, "Description": None},
                ],
            }
            modified = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            self.vouchers[(year, "A", number)] = Record(data, modified)


def list_item(data: Mapping[str, Any], model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The reduced list shape of a record: only the keys the list item model knows."""
    keys = [f.alias or name for name, f in model.model_fields.items()]
    return {key: data.get(key) for key in keys}
