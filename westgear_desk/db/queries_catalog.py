"""Read models for the catalog page: variant ids for a search, rows for a page of ids.

The page holds ids and asks for rows a page at a time (see ui/models/lazy_table.py), so the
id query sorts and filters in SQL and the row query loads prices, stock and publish state for
exactly the ids asked for, in a fixed number of statements whatever the page size.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from westgear_desk.db.enums import PriceListKind, QuarantineStatus, RecordType
from westgear_desk.db.models import (
    Brand,
    Price,
    PriceList,
    Product,
    QuarantineEntry,
    StockLevel,
    StockLocation,
    Variant,
)


class PublishState(enum.StrEnum):
    """What the shop shows of a variant: on sale, held back by quarantine, off, or a draft."""

    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    QUARANTINED = "quarantined"
    INACTIVE = "inactive"


class CatalogSort(enum.StrEnum):
    SKU = "sku"
    NAME = "name"
    EAN = "ean"
    UPDATED = "updated"


@dataclass(frozen=True)
class CatalogQuery:
    """A search (SKU, EAN or name, case-insensitive, substring) and an optional state filter."""

    search: str = ""
    state: PublishState | None = None
    sort: CatalogSort = CatalogSort.SKU
    descending: bool = False


@dataclass(frozen=True)
class PriceView:
    amount: Decimal
    currency: str
    price_list: str
    includes_vat: bool


@dataclass(frozen=True)
class StockView:
    quantity: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.quantity - self.reserved


@dataclass(frozen=True)
class CatalogRow:
    """One variant line: product, identifiers, prices by kind, stock by location code."""

    variant_id: int
    product_id: int
    sku: str
    ean: str | None
    product_name: str
    variant_name: str | None
    brand: str | None
    attributes: dict[str, Any]
    state: PublishState
    prices: dict[PriceListKind, PriceView] = field(default_factory=dict)
    stock: dict[str, StockView] = field(default_factory=dict)

    @property
    def total_stock(self) -> Decimal:
        return sum((level.quantity for level in self.stock.values()), Decimal(0))


@dataclass(frozen=True)
class LocationView:
    code: str
    name: str


_SORT_COLUMNS: Final = {
    CatalogSort.SKU: Variant.sku,
    CatalogSort.NAME: Product.name,
    CatalogSort.EAN: Variant.ean,
    CatalogSort.UPDATED: Variant.updated_at,
}


def _quarantined() -> ColumnElement[bool]:
    """An open quarantine entry exists for the variant or its product."""
    entry = QuarantineEntry
    return or_(
        exists().where(
            entry.status == QuarantineStatus.OPEN,
            entry.record_type == RecordType.VARIANT,
            entry.source_system == Variant.source_system,
            entry.external_id == Variant.external_id,
        ),
        exists().where(
            entry.status == QuarantineStatus.OPEN,
            entry.record_type == RecordType.PRODUCT,
            entry.source_system == Product.source_system,
            entry.external_id == Product.external_id,
        ),
    )


def _inactive() -> ColumnElement[bool]:
    return or_(Variant.active == false(), Product.active == false())


def _state_filter(state: PublishState) -> ColumnElement[bool]:
    if state is PublishState.INACTIVE:
        return _inactive()
    active = and_(Variant.active == true(), Product.active == true())
    if state is PublishState.QUARANTINED:
        return and_(active, _quarantined())
    published = and_(Variant.published == true(), Product.published == true())
    wanted = published if state is PublishState.PUBLISHED else ~published
    return and_(active, ~_quarantined(), wanted)


def _search_filter(text: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(text)}%"
    return or_(
        Variant.sku.ilike(pattern, escape="\\"),
        Variant.ean.ilike(pattern, escape="\\"),
        Variant.name.ilike(pattern, escape="\\"),
        Product.name.ilike(pattern, escape="\\"),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _id_query(query: CatalogQuery) -> Select[Any]:
    stmt = select(Variant.id).join(Product, Variant.product_id == Product.id)
    text = query.search.strip()
    if text:
        stmt = stmt.where(_search_filter(text))
    if query.state is not None:
        stmt = stmt.where(_state_filter(query.state))
    column = _SORT_COLUMNS[query.sort]
    order = column.desc() if query.descending else column.asc()
    tie = Variant.id.desc() if query.descending else Variant.id.asc()
    return stmt.order_by(order, tie)


def variant_ids(session: Session, query: CatalogQuery) -> list[int]:
    """The ids of the variants matching `query`, in its sort order."""
    return list(session.scalars(_id_query(query)))


def find_variant(session: Session, code: str) -> int | None:
    """The variant whose SKU or EAN is exactly `code` (a scanned barcode), or None."""
    code = code.strip()
    if not code:
        return None
    by_sku = session.scalar(select(Variant.id).where(Variant.sku == code))
    if by_sku is not None:
        return int(by_sku)
    by_ean = session.scalar(select(Variant.id).where(Variant.ean == code).order_by(Variant.id))
    return None if by_ean is None else int(by_ean)


def stock_locations(session: Session) -> list[LocationView]:
    """Active stock locations by code (the catalog shows one stock column per location)."""
    rows = session.execute(
        select(StockLocation.code, StockLocation.name)
        .where(StockLocation.active == true())
        .order_by(StockLocation.code)
    )
    return [LocationView(code, name) for code, name in rows]


def variant_rows(
    session: Session, ids: Sequence[int], *, now: dt.datetime | None = None
) -> list[CatalogRow]:
    """Rows for `ids`, in the order given; ids that no longer exist are left out."""
    if not ids:
        return []
    wanted = list(ids)
    base = session.execute(
        select(
            Variant.id,
            Variant.product_id,
            Variant.sku,
            Variant.ean,
            Product.name,
            Variant.name,
            Brand.name,
            Variant.attributes,
            _inactive(),
            _quarantined(),
            and_(Variant.published == true(), Product.published == true()),
        )
        .join(Product, Variant.product_id == Product.id)
        .outerjoin(Brand, Product.brand_id == Brand.id)
        .where(Variant.id.in_(wanted))
    ).all()
    prices = _prices(session, wanted, now or dt.datetime.now(dt.UTC))
    stock = _stock(session, wanted)
    by_id: dict[int, CatalogRow] = {}
    for row in base:
        state = _state_of(bool(row[8]), bool(row[9]), bool(row[10]))
        by_id[row[0]] = CatalogRow(
            variant_id=row[0],
            product_id=row[1],
            sku=row[2],
            ean=row[3],
            product_name=row[4],
            variant_name=row[5],
            brand=row[6],
            attributes=dict(row[7] or {}),
            state=state,
            prices=prices.get(row[0], {}),
            stock=stock.get(row[0], {}),
        )
    return [by_id[variant_id] for variant_id in wanted if variant_id in by_id]


def _state_of(inactive: bool, quarantined: bool, published: bool) -> PublishState:
    if inactive:
        return PublishState.INACTIVE
    if quarantined:
        return PublishState.QUARANTINED
    return PublishState.PUBLISHED if published else PublishState.UNPUBLISHED


def _prices(
    session: Session, ids: list[int], now: dt.datetime
) -> dict[int, dict[PriceListKind, PriceView]]:
    """The price in force now on the first active list (by code) of each kind."""
    valid_now = and_(
        or_(Price.valid_from.is_(None), Price.valid_from <= now),
        or_(Price.valid_to.is_(None), Price.valid_to > now),
    )
    rows = session.execute(
        select(
            Price.variant_id,
            PriceList.kind,
            PriceList.code,
            Price.amount,
            Price.currency,
            Price.includes_vat,
        )
        .join(PriceList, Price.price_list_id == PriceList.id)
        .where(Price.variant_id.in_(ids), PriceList.active == true(), Price.active == true())
        .where(valid_now)
        .order_by(Price.variant_id, PriceList.code, Price.valid_from.desc())
    )
    result: dict[int, dict[PriceListKind, PriceView]] = {}
    for variant_id, kind, code, amount, currency, includes_vat in rows:
        per_kind = result.setdefault(variant_id, {})
        per_kind.setdefault(PriceListKind(kind), PriceView(amount, currency, code, includes_vat))
    return result


def _stock(session: Session, ids: list[int]) -> dict[int, dict[str, StockView]]:
    rows = session.execute(
        select(StockLevel.variant_id, StockLocation.code, StockLevel.quantity, StockLevel.reserved)
        .join(StockLocation, StockLevel.location_id == StockLocation.id)
        .where(StockLevel.variant_id.in_(ids))
    )
    result: dict[int, dict[str, StockView]] = {}
    for variant_id, code, quantity, reserved in rows:
        result.setdefault(variant_id, {})[code] = StockView(quantity, reserved)
    return result
