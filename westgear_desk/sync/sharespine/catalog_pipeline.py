"""Pages written on a writer thread while the next page is parsed and checked.

The writer thread spends its time waiting for PostgreSQL (which works on another core);
meanwhile this thread parses and validates the next page. Only one page is written at a
time and in order, so cursors still move page by page; SKUs of a page not committed yet
are handed to the check of the next page, so cross-page duplicates are still caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import exc as sa_exc

from westgear_desk.gc_policy import fewer_collections
from westgear_desk.integrations.sharespine.client import Page
from westgear_desk.integrations.sharespine.contract import Product
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.catalog_pages import (
    CatalogSync,
    PreparedPage,
    Stage,
    apply_page,
    commit_page,
    prepare_page,
)

StageFor = Callable[[Page[Product]], Stage | None]


def _write(
    sync: CatalogSync,
    page: Page[Product],
    prepared: PreparedPage,
    run_id: int | None,
    *,
    stage: Stage | None,
    only: frozenset[str] | None,
) -> RunCounts:
    try:
        with sync.session_factory.begin() as session:
            counts = commit_page(sync, session, prepared, run_id, only)
            if stage is not None:
                stage(session, prepared.seen)
        return counts
    except (sa_exc.IntegrityError, sa_exc.DataError):
        sync.codes.clear()
    return apply_page(sync, page.records, run_id, stage, only=only)  # product by product


def apply_pages(  # noqa: PLR0917 - the flows' one call shape
    sync: CatalogSync,
    pages: Iterator[Page[Product]],
    run_id: int | None,
    total: RunCounts,
    stage_for: StageFor | None = None,
    only: frozenset[str] | None = None,
) -> None:
    """Write every page in order, each in one transaction; counts are added to `total`.

    Raises what fetching or writing raised, after the page being written has finished
    (so `total` covers exactly what was committed).
    """
    with fewer_collections():  # pages are large, short-lived and free of cycles
        _apply_in_order(sync, pages, run_id, total, stage_for, only)


def _apply_in_order(  # noqa: PLR0917 - apply_pages' arguments
    sync: CatalogSync,
    pages: Iterator[Page[Product]],
    run_id: int | None,
    total: RunCounts,
    stage_for: StageFor | None,
    only: frozenset[str] | None,
) -> None:
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-writer")
    in_flight: Future[RunCounts] | None = None
    pending: dict[str, str] = {}
    try:
        for page in pages:
            # Ended by ROLLBACK on purpose: that makes psycopg drop the connection's prepared
            # statements, so lookups planned while the tables were nearly empty (seq scans,
            # no statistics) are planned again instead of being reused for the whole run.
            with sync.session_factory() as session:
                prepared = prepare_page(session, page.records, pending)
            if in_flight is not None:
                add_to(total, in_flight.result())
                in_flight, pending = None, {}
            pending = prepared.claimed_skus()
            stage = stage_for(page) if stage_for is not None else None
            in_flight = writer.submit(_write, sync, page, prepared, run_id, stage=stage, only=only)
        if in_flight is not None:
            add_to(total, in_flight.result())
            in_flight = None
    finally:
        try:
            if in_flight is not None:
                add_to(total, in_flight.result())
        finally:
            writer.shutdown(wait=True)


def add_to(total: RunCounts, counts: RunCounts) -> None:
    """Add `counts` into `total` in place (the caller keeps the same object)."""
    for name, value in counts.to_dict().items():
        setattr(total, name, getattr(total, name) + value)
