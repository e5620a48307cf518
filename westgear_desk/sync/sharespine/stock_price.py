"""Stock and price only: the 2-minute flow and change notifications touch nothing else.

For a product already published, the product's `source_modified_at` is moved forward by a
guarded UPDATE (only when the incoming version is newer), and only then are its stock levels
and/or prices rewritten: an older notification or page can never overwrite newer data. The
product's content hash is cleared so the next catalog run rewrites the rest of it. A product
not yet published gets the full write instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from sqlalchemy import delete, or_, select, true, update
from sqlalchemy.orm import Session

from westgear_desk.db.models import Price, Product, Variant
from westgear_desk.errors import IntegrationError
from westgear_desk.sync.cursors import advance_cursor, get_cursor
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.scheduler import RunFailedError
from westgear_desk.sync.sharespine.catalog_mapping import ProductRows
from westgear_desk.sync.sharespine.catalog_upsert import (
    SOURCE,
    CodeIds,
    chunks,
    write_prices,
    write_stock,
)

STOCK: Final = "stock"
PRICE: Final = "price"
BOTH: Final = frozenset({STOCK, PRICE})


@dataclass(slots=True)
class TargetedOutcome:
    """Products updated in place, skipped as older than stored, and left for a full write."""

    applied: int = 0
    stale: int = 0
    rest: list[ProductRows] = field(default_factory=list)


def _bump(session: Session, row: ProductRows) -> int | None:
    """Claim the newer version on the product row; its id, or None if stored is not older."""
    return session.execute(
        update(Product)
        .where(
            Product.source_system == SOURCE,
            Product.external_id == row.external_id,
            Product.published == true(),
            Product.active == true(),
            or_(
                Product.source_modified_at.is_(None),
                Product.source_modified_at < row.modified,
            ),
        )
        .values(source_modified_at=row.modified, content_hash=None)
        .returning(Product.id)
    ).scalar_one_or_none()


def _published(session: Session, external_id: str) -> bool:
    return (
        session.execute(
            select(Product.id).where(
                Product.source_system == SOURCE,
                Product.external_id == external_id,
                Product.published == true(),
                Product.active == true(),
            )
        ).first()
        is not None
    )


def apply_targeted(
    session: Session, rows: Sequence[ProductRows], what: frozenset[str], codes: CodeIds
) -> TargetedOutcome:
    """Rewrite only `what` (stock, price) of published products whose version is newer."""
    outcome = TargetedOutcome()
    for row in rows:
        product_id = _bump(session, row)
        if product_id is None:
            if _published(session, row.external_id):
                outcome.stale += 1
            else:
                outcome.rest.append(row)
            continue
        known = dict(
            session.execute(
                select(Variant.external_id, Variant.id).where(Variant.product_id == product_id)
            ).all()
        )
        kept = replace(row, variants=[v for v in row.variants if v.external_id in known])
        if STOCK in what:
            write_stock(session, [kept], known, codes)
        if PRICE in what:
            for chunk in chunks(list(known.values())):
                session.execute(delete(Price).where(Price.variant_id.in_(chunk)))
            write_prices(session, [kept], known, codes, clear=False)
        outcome.applied += 1
    return outcome


def stock_price_sync(sync: object, run_id: int | None) -> RunCounts:
    """Apply stock and prices of every product changed since the cursor (2-minute flow).

    Raises RunFailedError (with the counts so far) when Sharespine fails part-way.
    """
    from westgear_desk.sync.sharespine.catalog import STOCK_PRICE_CURSOR, _cursor_time, now_second
    from westgear_desk.sync.sharespine.catalog_pages import INTEGRATION, CatalogSync
    from westgear_desk.sync.sharespine.catalog_pipeline import apply_pages

    assert isinstance(sync, CatalogSync)
    started = now_second()
    with sync.session_factory() as session:
        since = _cursor_time(get_cursor(session, INTEGRATION, STOCK_PRICE_CURSOR))
    total = RunCounts()
    try:
        apply_pages(sync, sync.pages(since, 0), run_id, total, only=BOTH)
    except IntegrationError as exc:
        raise RunFailedError(f"stock and price sync stopped by Sharespine ({exc})", total) from exc
    with sync.session_factory.begin() as session:
        advance_cursor(session, INTEGRATION, STOCK_PRICE_CURSOR, started.isoformat(), run_id)
    return total
