"""The PostgreSQL fast path of the catalog write: COPY into staging tables, then one upsert each.

Rows are streamed with psycopg's COPY (no per-row statements, no SQLAlchemy parameter
processing); the upserts (`INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE`) keep the same
newer-wins guard as the portable path. Children whose old rows are deleted first (texts,
media, prices) are copied straight into their tables. Runs on the session's own connection,
so it is part of the page's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from westgear_desk.sync.sharespine.catalog_mapping import ProductRows

STAGING: Final = """
CREATE TEMP TABLE IF NOT EXISTS wg_stage_products (
    external_id text, brand_id bigint, name text, category text, vat_rate numeric,
    source_modified_at timestamptz, content_hash text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS wg_stage_variants (
    external_id text, product_id bigint, sku text, ean text, name text, attributes text,
    weight_grams integer, source_modified_at timestamptz, content_hash text)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS wg_stage_stock (
    variant_id bigint, location_id bigint, quantity numeric, source_modified_at timestamptz)
    ON COMMIT DELETE ROWS;
"""

UPSERT_PRODUCTS: Final = """
INSERT INTO products AS p (source_system, external_id, brand_id, name, category, vat_rate,
    source_modified_at, content_hash, active, published)
SELECT 'sharespine', external_id, brand_id, name, category, vat_rate, source_modified_at,
    content_hash, true, true FROM wg_stage_products
ON CONFLICT (source_system, external_id) DO UPDATE SET
    brand_id = excluded.brand_id, name = excluded.name, category = excluded.category,
    vat_rate = excluded.vat_rate, source_modified_at = excluded.source_modified_at,
    content_hash = excluded.content_hash, active = true, published = true,
    deactivated_at = NULL, deactivated_by_run_id = NULL, updated_at = now()
WHERE (p.source_modified_at IS NULL OR p.source_modified_at <= excluded.source_modified_at)
    AND (p.content_hash IS DISTINCT FROM excluded.content_hash OR NOT p.published OR NOT p.active)
RETURNING p.external_id, p.id, p.xmax = 0
"""

UPSERT_VARIANTS: Final = """
INSERT INTO variants AS v (source_system, external_id, product_id, sku, ean, name, attributes,
    weight_grams, source_modified_at, content_hash, active, published)
SELECT 'sharespine', external_id, product_id, sku, ean, name, attributes::jsonb, weight_grams,
    source_modified_at, content_hash, true, true FROM wg_stage_variants
ON CONFLICT (source_system, external_id) DO UPDATE SET
    product_id = excluded.product_id, sku = excluded.sku, ean = excluded.ean,
    name = excluded.name, attributes = excluded.attributes,
    weight_grams = excluded.weight_grams, source_modified_at = excluded.source_modified_at,
    content_hash = excluded.content_hash, active = true, published = true,
    deactivated_at = NULL, deactivated_by_run_id = NULL, updated_at = now()
RETURNING v.external_id, v.id, v.xmax = 0
"""

UPSERT_STOCK: Final = """
INSERT INTO stock_levels AS s (variant_id, location_id, quantity, source_modified_at)
SELECT variant_id, location_id, quantity, source_modified_at FROM wg_stage_stock
ON CONFLICT (variant_id, location_id) DO UPDATE SET
    quantity = excluded.quantity, source_modified_at = excluded.source_modified_at,
    active = true, published = true, updated_at = now()
WHERE s.source_modified_at IS NULL OR s.source_modified_at <= excluded.source_modified_at
"""


def _driver(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _copy(cursor: Any, target: str, rows: Iterable[Sequence[Any]]) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(slots=True)
class CopiedProducts:
    """Ids of the products written, by external id, and which of them were inserted just now.

    An inserted product has no texts, media, variants or prices yet, so nothing of it needs
    deleting or retiring (`xmax = 0` in RETURNING tells an insert from an update).
    """

    ids: dict[str, int] = field(default_factory=dict)
    inserted: set[int] = field(default_factory=set)


def copy_products(
    session: Session, rows: Sequence[ProductRows], brands: dict[str, int]
) -> CopiedProducts:
    """Upsert the product rows; returns the ids of those written (not older than stored)."""
    with _driver(session).cursor() as cur:
        cur.execute(STAGING)
        _copy(
            cur,
            "wg_stage_products (external_id, brand_id, name, category, vat_rate, "
            "source_modified_at, content_hash)",
            (
                (
                    r.external_id,
                    brands.get(r.brand[:200]) if r.brand else None,
                    r.values["name"],
                    r.values["category"],
                    r.values["vat_rate"],
                    r.modified,
                    r.content_hash,
                )
                for r in rows
            ),
        )
        cur.execute(UPSERT_PRODUCTS)
        copied = CopiedProducts()
        for external_id, product_id, inserted in cur.fetchall():
            copied.ids[external_id] = product_id
            if inserted:
                copied.inserted.add(product_id)
        return copied


def copy_children(  # noqa: PLR0917 - the rows and the four id maps they need
    session: Session,
    rows: Sequence[ProductRows],
    product_ids: dict[str, int],
    lists: dict[str, int],
    locations: dict[str, int],
    inserted: set[int] | frozenset[int] = frozenset(),
) -> dict[str, int]:
    """Texts, media, variants, prices and stock of written products; returns variant ids.

    Products in `inserted` (ids just inserted) have no old children: nothing is deleted
    for them, so a first load issues no DELETE at all.
    """
    ids = [product_ids[r.external_id] for r in rows]
    old = [i for i in ids if i not in inserted]
    with _driver(session).cursor() as cur:
        if old:
            cur.execute("DELETE FROM product_texts WHERE product_id = ANY(%s)", (old,))
            cur.execute("DELETE FROM media WHERE product_id = ANY(%s)", (old,))
        _copy(
            cur,
            "product_texts (product_id, language, name, description)",
            (
                (product_ids[r.external_id], t["language"], t["name"], t["description"])
                for r in rows
                for t in r.texts
            ),
        )
        _copy(
            cur,
            "media (product_id, url, position, alt_text)",
            (
                (product_ids[r.external_id], m["url"], m["position"], m["alt_text"])
                for r in rows
                for m in r.media
            ),
        )
        variant_ids, new_variants = _copy_variants(cur, rows, product_ids)
        replaced = [i for i in variant_ids.values() if i not in new_variants]
        if replaced:  # a variant inserted just now has no prices to replace
            cur.execute("DELETE FROM prices WHERE variant_id = ANY(%s)", (replaced,))
        _copy_prices(cur, rows, variant_ids, lists)
        _copy_stock(cur, rows, variant_ids, locations, new_variants)
    return variant_ids


def _copy_variants(
    cur: Any, rows: Sequence[ProductRows], product_ids: dict[str, int]
) -> tuple[dict[str, int], set[int]]:
    """Upsert the variants; returns their ids by external id and the ids inserted just now."""
    _copy(
        cur,
        "wg_stage_variants (external_id, product_id, sku, ean, name, attributes, weight_grams, "
        "source_modified_at, content_hash)",
        (
            (
                v.external_id,
                product_ids[r.external_id],
                v.values["sku"],
                v.values["ean"],
                v.values["name"],
                json.dumps(v.values["attributes"], ensure_ascii=False),
                v.values["weight_grams"],
                r.modified,
                r.content_hash,
            )
            for r in rows
            for v in r.variants
        ),
    )
    cur.execute(UPSERT_VARIANTS)
    ids: dict[str, int] = {}
    inserted: set[int] = set()
    for external_id, variant_id, is_new in cur.fetchall():
        ids[external_id] = variant_id
        if is_new:
            inserted.add(variant_id)
    return ids, inserted


def _copy_prices(
    cur: Any, rows: Sequence[ProductRows], variant_ids: dict[str, int], lists: dict[str, int]
) -> None:
    _copy(
        cur,
        "prices (price_list_id, variant_id, amount, currency, vat_rate, includes_vat, "
        "valid_from, valid_to, source_modified_at)",
        (
            (
                lists[p["price_list"]],
                variant_ids[v.external_id],
                p["amount"],
                p["currency"],
                p["vat_rate"],
                p["includes_vat"],
                p["valid_from"],
                p["valid_to"],
                r.modified,
            )
            for r in rows
            for v in r.variants
            for p in v.prices
        ),
    )


def _copy_stock(
    cur: Any,
    rows: Sequence[ProductRows],
    variant_ids: dict[str, int],
    locations: dict[str, int],
    new_variants: set[int],
) -> None:
    """Stock of variants inserted just now goes straight into its table (it has no old rows
    to guard against); the rest is staged and upserted, newer stored figures winning."""
    fresh: list[tuple[int, int, Any, Any]] = []
    known: list[tuple[int, int, Any, Any]] = []
    for r in rows:
        for v in r.variants:
            variant_id = variant_ids[v.external_id]
            into = fresh if variant_id in new_variants else known
            into.extend((variant_id, locations[loc], qty, r.modified) for loc, qty in v.stock)
    if fresh:
        _copy(cur, "stock_levels (variant_id, location_id, quantity, source_modified_at)", fresh)
    if known:
        _copy(cur, "wg_stage_stock (variant_id, location_id, quantity, source_modified_at)", known)
        cur.execute(UPSERT_STOCK)
