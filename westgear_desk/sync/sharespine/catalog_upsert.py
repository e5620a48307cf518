"""Bulk writes of valid products with all their children, skipping what has not changed.

Every statement is a set-based upsert (`INSERT … ON CONFLICT DO UPDATE … WHERE`), never a
per-row ORM merge: the product row is written only when its content hash differs (or it
was unpublished/inactive) and the incoming version is not older than the stored one, and
only products actually written get their variants, texts, media, prices and stock
rewritten, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

import psycopg
from sqlalchemy import Table, and_, delete, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from westgear_desk.db.driver_errors import as_sqlalchemy_error
from westgear_desk.db.enums import SourceSystem
from westgear_desk.db.models import (
    Brand,
    Media,
    Price,
    PriceList,
    Product,
    ProductText,
    StockLevel,
    StockLocation,
    Variant,
)
from westgear_desk.sync.runs import insert_for, utcnow
from westgear_desk.sync.sharespine.catalog_copy import copy_children, copy_products
from westgear_desk.sync.sharespine.catalog_mapping import ProductRows, price_kind

SOURCE: Final = SourceSystem.SHARESPINE
CHUNK: Final = 1000
PRODUCTS = cast(Table, Product.__table__)
VARIANTS = cast(Table, Variant.__table__)
PRICES = cast(Table, Price.__table__)
STOCK = cast(Table, StockLevel.__table__)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """`values` in slices of at most `size` (portable lookups use `IN`, a parameter a value).

    The per-page lookups on PostgreSQL use one unprepared `= ANY(%s)` instead
    (`_driver_rows`).
    """
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(slots=True)
class WriteCounts:
    """What one bulk write did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    written_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stored:
    """What is stored of one product: its id, version and publishing state."""

    id: int
    content_hash: str | None
    published: bool
    active: bool
    modified: datetime | None


class CodeIds:
    """Ids of brands, price lists and stock locations by name/code, created on first sight."""

    def __init__(self) -> None:
        self.brands: dict[str, int] = {}
        self.price_lists: dict[str, int] = {}
        self.locations: dict[str, int] = {}

    def clear(self) -> None:
        """Forget every id (after a rollback, ids created in it no longer exist)."""
        self.brands, self.price_lists, self.locations = {}, {}, {}

    def brand_ids(self, session: Session, names: Iterable[str]) -> dict[str, int]:
        missing = sorted({n[:200] for n in names} - self.brands.keys())
        if missing:
            session.execute(
                insert_for(session, Brand)
                .values([{"name": n} for n in missing])
                .on_conflict_do_nothing(index_elements=["name"])
            )
            rows = session.execute(select(Brand.name, Brand.id).where(Brand.name.in_(missing)))
            self.brands.update(dict(rows.all()))
        return self.brands

    def price_list_ids(self, session: Session, codes: Iterable[tuple[str, str]]) -> dict[str, int]:
        missing = {code: cur for code, cur in codes if code not in self.price_lists}
        if missing:
            values = []
            for code, currency in sorted(missing.items()):
                kind = price_kind(code)
                values.append(
                    {
                        "code": code,
                        "name": code,
                        "kind": kind,
                        "currency": currency,
                        "b2b_level": code if kind == "b2b" else None,
                        "includes_vat": kind != "b2b",
                        "source_system": SOURCE,
                        "external_id": code,
                    }
                )
            session.execute(
                insert_for(session, PriceList)
                .values(values)
                .on_conflict_do_nothing(index_elements=["code"])
            )
            rows = session.execute(
                select(PriceList.code, PriceList.id).where(PriceList.code.in_(list(missing)))
            )
            self.price_lists.update(dict(rows.all()))
        return self.price_lists

    def location_ids(self, session: Session, codes: Iterable[str]) -> dict[str, int]:
        missing = sorted(set(codes) - self.locations.keys())
        if missing:
            session.execute(
                insert_for(session, StockLocation)
                .values(
                    [
                        {"code": c, "name": c, "source_system": SOURCE, "external_id": c}
                        for c in missing
                    ]
                )
                .on_conflict_do_nothing(index_elements=["code"])
            )
            rows = session.execute(
                select(StockLocation.code, StockLocation.id).where(StockLocation.code.in_(missing))
            )
            self.locations.update(dict(rows.all()))
        return self.locations


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _driver_rows(session: Session, sql: str, values: Sequence[str]) -> list[Any]:
    """Run a lookup `… = ANY(%s)` on the session's psycopg connection, never prepared.

    One array parameter instead of one per value: SQLAlchemy and psycopg then need no
    per-value work to build the statement, and PostgreSQL parses a short one. Unprepared,
    so PostgreSQL plans it with the actual array each time; a prepared `= ANY($1)` kept
    the generic plan it made while the tables were empty (a seq scan).
    """
    driver = session.connection().connection.driver_connection
    params = (list(values),)
    try:
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, params, prepare=False)
            return list(cursor.fetchall())
    except psycopg.Error as exc:  # as SQLAlchemy's, so outages are recognised as such
        raise as_sqlalchemy_error(sql, exc) from exc


_STORED_SQL: Final = (
    "SELECT external_id, id, content_hash, published, active, source_modified_at "
    f"FROM products WHERE source_system = '{SOURCE.value}' AND external_id = ANY(%s)"
)
_SKU_OWNERS_SQL: Final = (
    "SELECT v.sku, p.external_id FROM variants v JOIN products p ON p.id = v.product_id "
    "WHERE v.sku = ANY(%s)"
)


def stored_products(session: Session, external_ids: Sequence[str]) -> dict[str, Stored]:
    """What is stored of these products (one query per chunk)."""
    if _on_postgresql(session):
        rows: Iterable[Sequence[Any]] = _driver_rows(session, _STORED_SQL, external_ids)
        return {r[0]: Stored(r[1], r[2], r[3], r[4], r[5]) for r in rows}
    found: dict[str, Stored] = {}
    p = PRODUCTS.c
    for chunk in chunks(external_ids):
        for row in session.execute(
            select(
                p.external_id, p.id, p.content_hash, p.published, p.active, p.source_modified_at
            ).where(p.source_system == SOURCE, p.external_id.in_(chunk))
        ):
            found[row.external_id] = Stored(
                row.id, row.content_hash, row.published, row.active, row.source_modified_at
            )
    return found


def published_hashes(session: Session) -> dict[str, str]:
    """Content hash of every published, active Sharespine product, by external id."""
    p = PRODUCTS.c
    rows = session.execute(
        select(p.external_id, p.content_hash).where(
            p.source_system == SOURCE, p.published, p.active, p.content_hash.is_not(None)
        )
    )
    return {str(external_id): str(digest) for external_id, digest in rows}


def sku_owners(session: Session, skus: Sequence[str]) -> dict[str, str]:
    """Stored SKUs among `skus`, mapped to the external id of their product."""
    wanted = sorted(set(skus))
    if _on_postgresql(session):
        return dict(_driver_rows(session, _SKU_OWNERS_SQL, wanted))
    owners: dict[str, str] = {}
    for chunk in chunks(wanted):
        rows = session.execute(
            select(Variant.sku, Product.external_id)
            .join(Product, Variant.product_id == Product.id)
            .where(Variant.sku.in_(chunk))
        )
        owners.update(dict(rows.all()))
    return owners


def write_products(
    session: Session,
    rows: Sequence[ProductRows],
    codes: CodeIds,
    run_id: int | None,
    stored: Mapping[str, Stored] | None = None,
) -> WriteCounts:
    """Upsert valid products and their children; unchanged and older versions are skipped.

    `stored` is what `stored_products` returned for these rows, if the caller has it.
    """
    counts = WriteCounts()
    if stored is None:
        stored = stored_products(session, [r.external_id for r in rows])
    todo = []
    for row in rows:
        before = stored.get(row.external_id)
        if before is not None and before.modified is not None and before.modified > row.modified:
            counts.stale += 1
        elif (
            before is not None
            and before.content_hash == row.content_hash
            and before.published
            and before.active
        ):
            counts.unchanged += 1
        else:
            todo.append(row)
    if not todo:
        return counts
    postgres = session.get_bind().dialect.name == "postgresql"
    inserted: set[int] = set()
    if postgres:
        brands = codes.brand_ids(session, [r.brand for r in todo if r.brand])
        copied = copy_products(session, todo, brands)
        product_ids, inserted = copied.ids, copied.inserted
    else:
        product_ids = _upsert_products(session, todo, codes)
    written = [r for r in todo if r.external_id in product_ids]
    for row in written:
        if row.external_id in stored:
            counts.updated += 1
        else:
            counts.created += 1
    counts.stale += len(todo) - len(written)
    counts.written_ids = [r.external_id for r in written]
    if postgres:
        _copy_children(session, written, product_ids, inserted, codes, run_id)
    else:
        _write_children(session, written, product_ids, codes, run_id)
    return counts


def _copy_children(  # noqa: PLR0917 - private
    session: Session,
    rows: list[ProductRows],
    product_ids: dict[str, int],
    inserted: set[int],
    codes: CodeIds,
    run_id: int | None,
) -> None:
    wanted = {(p["price_list"], p["currency"]) for r in rows for v in r.variants for p in v.prices}
    lists = codes.price_list_ids(session, sorted(wanted))
    locations = codes.location_ids(
        session, {loc for r in rows for v in r.variants for loc, _ in v.stock}
    )
    variant_ids = copy_children(session, rows, product_ids, lists, locations, inserted)
    # A product inserted just now holds only the variants written with it: none to retire.
    ids = [i for r in rows if (i := product_ids[r.external_id]) not in inserted]
    if ids:
        _retire_missing_variants(session, ids, list(variant_ids.values()), run_id)


def _upsert_products(session: Session, rows: list[ProductRows], codes: CodeIds) -> dict[str, int]:
    brands = codes.brand_ids(session, [r.brand for r in rows if r.brand])
    values = [
        {
            "source_system": SOURCE,
            "external_id": r.external_id,
            "brand_id": brands.get(r.brand[:200]) if r.brand else None,
            "source_modified_at": r.modified,
            "content_hash": r.content_hash,
            "active": True,
            "published": True,
            "deactivated_at": None,
            "deactivated_by_run_id": None,
            **r.values,
        }
        for r in rows
    ]
    base = insert_for(session, Product)
    ex = base.excluded
    names = [k for k in values[0] if k not in ("source_system", "external_id")]
    stmt = base.on_conflict_do_update(
        index_elements=["source_system", "external_id"],
        set_={**{k: ex[k] for k in names}, "updated_at": func.now()},
        where=and_(
            or_(
                PRODUCTS.c.source_modified_at.is_(None),
                PRODUCTS.c.source_modified_at <= ex.source_modified_at,
            ),
            or_(
                PRODUCTS.c.content_hash.is_distinct_from(ex.content_hash),
                PRODUCTS.c.published.is_(false()),
                PRODUCTS.c.active.is_(false()),
            ),
        ),
    ).returning(PRODUCTS.c.external_id, PRODUCTS.c.id)
    ids: dict[str, int] = {}
    for chunk in chunks(values):
        ids.update(dict(session.execute(stmt, list(chunk)).all()))
    return ids


def _write_children(
    session: Session,
    rows: list[ProductRows],
    product_ids: dict[str, int],
    codes: CodeIds,
    run_id: int | None,
) -> None:
    ids = [product_ids[r.external_id] for r in rows]
    for chunk in chunks(ids):
        session.execute(delete(ProductText).where(ProductText.product_id.in_(chunk)))
        session.execute(delete(Media).where(Media.product_id.in_(chunk)))
    texts = [{"product_id": product_ids[r.external_id], **t} for r in rows for t in r.texts]
    media = [{"product_id": product_ids[r.external_id], **m} for r in rows for m in r.media]
    _insert_all(session, ProductText, texts)
    _insert_all(session, Media, media)
    variant_ids = _upsert_variants(session, rows, product_ids)
    _retire_missing_variants(session, ids, list(variant_ids.values()), run_id)
    write_prices(session, rows, variant_ids, codes)
    write_stock(session, rows, variant_ids, codes)


def _insert_all(session: Session, model: type[Any], values: list[dict[str, Any]]) -> None:
    table = cast(Table, model.__table__)
    for chunk in chunks(values):
        session.execute(table.insert(), list(chunk))


def _upsert_variants(
    session: Session, rows: list[ProductRows], product_ids: dict[str, int]
) -> dict[str, int]:
    values = [
        {
            "source_system": SOURCE,
            "external_id": v.external_id,
            "product_id": product_ids[r.external_id],
            "source_modified_at": r.modified,
            "content_hash": r.content_hash,
            "active": True,
            "published": True,
            "deactivated_at": None,
            "deactivated_by_run_id": None,
            **v.values,
        }
        for r in rows
        for v in r.variants
    ]
    if not values:
        return {}
    base = insert_for(session, Variant)
    ex = base.excluded
    names = [k for k in values[0] if k not in ("source_system", "external_id")]
    stmt = base.on_conflict_do_update(
        index_elements=["source_system", "external_id"],
        set_={**{k: ex[k] for k in names}, "updated_at": func.now()},
    ).returning(VARIANTS.c.external_id, VARIANTS.c.id)
    ids: dict[str, int] = {}
    for chunk in chunks(values):
        ids.update(dict(session.execute(stmt, list(chunk)).all()))
    return ids


def _retire_missing_variants(
    session: Session, product_ids: list[int], keep: list[int], run_id: int | None
) -> None:
    """Variants a product no longer lists become inactive (never deleted)."""
    keep_set = set(keep)
    stale = [
        vid
        for chunk in chunks(product_ids)
        for vid in session.scalars(
            select(Variant.id).where(Variant.product_id.in_(chunk), Variant.active == true())
        )
        if vid not in keep_set
    ]
    for chunk in chunks(stale):
        session.execute(
            update(Variant)
            .where(Variant.id.in_(chunk))
            .values(
                active=False,
                published=False,
                deactivated_at=utcnow(),
                deactivated_by_run_id=run_id,
            )
        )


def write_prices(
    session: Session,
    rows: list[ProductRows],
    variant_ids: dict[str, int],
    codes: CodeIds,
    *,
    clear: bool = True,
) -> None:
    """Replace the prices of these variants (delete, then one bulk insert)."""
    wanted = {(p["price_list"], p["currency"]) for r in rows for v in r.variants for p in v.prices}
    lists = codes.price_list_ids(session, sorted(wanted))
    if clear:
        for chunk in chunks(list(variant_ids.values())):
            session.execute(delete(Price).where(Price.variant_id.in_(chunk)))
    values = [
        {
            "price_list_id": lists[p["price_list"]],
            "variant_id": variant_ids[v.external_id],
            "amount": p["amount"],
            "currency": p["currency"],
            "vat_rate": p["vat_rate"],
            "includes_vat": p["includes_vat"],
            "valid_from": p["valid_from"],
            "valid_to": p["valid_to"],
            "source_modified_at": r.modified,
            "active": True,
            "published": True,
        }
        for r in rows
        for v in r.variants
        for p in v.prices
    ]
    _insert_all(session, Price, values)


def stock_upsert(session: Session, values: list[dict[str, Any]]) -> None:
    """Upsert stock levels; a row keeps a newer figure than the incoming one."""
    if not values:
        return
    stmt = insert_for(session, StockLevel)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["variant_id", "location_id"],
        set_={
            "quantity": ex.quantity,
            "source_modified_at": ex.source_modified_at,
            "active": True,
            "published": True,
            "updated_at": func.now(),
        },
        where=or_(
            STOCK.c.source_modified_at.is_(None),
            STOCK.c.source_modified_at <= ex.source_modified_at,
        ),
    )
    for chunk in chunks(values):
        session.execute(stmt, list(chunk))


def write_stock(
    session: Session, rows: list[ProductRows], variant_ids: dict[str, int], codes: CodeIds
) -> None:
    """Upsert the stock levels of these variants (newer stored figures are kept)."""
    locations = codes.location_ids(
        session, {loc for r in rows for v in r.variants for loc, _ in v.stock}
    )
    stock_upsert(
        session,
        [
            {
                "variant_id": variant_ids[v.external_id],
                "location_id": locations[loc],
                "quantity": quantity,
                "source_modified_at": r.modified,
            }
            for r in rows
            for v in r.variants
            for loc, quantity in v.stock
        ],
    )


def unpublish(session: Session, external_ids: Sequence[str]) -> int:
    """Hold back stored products whose newest version is quarantined; returns how many."""
    total = 0
    for chunk in chunks(list(external_ids)):
        result = session.execute(
            update(Product)
            .where(
                Product.source_system == SOURCE,
                Product.external_id.in_(chunk),
                Product.published == true(),
            )
            .values(published=False, updated_at=func.now())
        )
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


def deactivate_missing(session: Session, seen: set[str], run_id: int | None) -> list[str]:
    """Mark active products that a complete listing did not contain inactive (never delete)."""
    active = session.scalars(
        select(Product.external_id).where(Product.source_system == SOURCE, Product.active == true())
    )
    gone = sorted(set(active) - seen)
    now = utcnow()
    for chunk in chunks(gone):
        ids = list(
            session.scalars(
                update(Product)
                .where(Product.source_system == SOURCE, Product.external_id.in_(chunk))
                .values(
                    active=False,
                    published=False,
                    deactivated_at=now,
                    deactivated_by_run_id=run_id,
                    updated_at=func.now(),
                )
                .returning(Product.id)
            )
        )
        session.execute(
            update(Variant)
            .where(Variant.product_id.in_(ids), Variant.active == true())
            .values(active=False, published=False, deactivated_at=now, deactivated_by_run_id=run_id)
        )
    return gone
