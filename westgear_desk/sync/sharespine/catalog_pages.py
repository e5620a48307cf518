"""One page of Sharespine products into the database: validate, publish or quarantine, at once.

`apply_page` writes a page as one transaction (with whatever cursor the caller stages in
it). Should the database still refuse something no rule caught, the page is redone product
by product and the refused product is quarantined instead of failing the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import httpx
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import RecordType
from westgear_desk.domain.catalog_rules import rejected_by_store
from westgear_desk.integrations.sharespine.client import Page, RecordResult, SharespineClient
from westgear_desk.integrations.sharespine.contract import (
    DEFAULT_PAGE_SIZE,
    PageInfo,
    Product,
    format_timestamp,
)
from westgear_desk.sync import quarantine
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.catalog_mapping import (
    Classified,
    classify,
    content_hash,
    page_skus,
    product_key,
    raw_key,
)
from westgear_desk.sync.sharespine.catalog_upsert import (
    CodeIds,
    Stored,
    published_hashes,
    sku_owners,
    stored_products,
    unpublish,
    write_products,
)
from westgear_desk.sync.sharespine.check_process import (
    CHECK_PROCESS_FROM,
    CheckedRecord,
    PageChecker,
)
from westgear_desk.sync.sharespine.prefetch import (
    parallel_pages,
    parse_product_page,
    total_count,
)
from westgear_desk.sync.sharespine.stock_price import TargetedOutcome, apply_targeted

log = logging.getLogger(__name__)
INTEGRATION: Final = "sharespine"
Stage = Callable[[Session, list[str]], None]


@dataclass
class CatalogSync:
    """What the catalog flows share in one run: database, client, page size, id caches."""

    session_factory: sessionmaker[Session]
    client: SharespineClient
    page_size: int = DEFAULT_PAGE_SIZE
    workers: int = 2  # page requests in flight
    codes: CodeIds = field(default_factory=CodeIds)

    #: Runs of at least this many products parse and check pages in the check process
    #: (None: never).
    check_process_from: int | None = CHECK_PROCESS_FROM

    def pages(self, since: datetime | None, start: int) -> Iterator[Page[Product] | CheckingPage]:
        """Product pages from offset `start` (changed at/after `since`), fetched ahead.

        Requests run on threads. A run of fewer than `check_process_from` products gets
        its pages parsed here, on the caller's thread, as `Page`s; a larger one gets
        `CheckingPage`s, parsed and checked in the check process.
        """
        params: dict[str, Any] = {"limit": self.page_size}
        if since is not None:  # whole seconds, floored: the filter is inclusive
            params["modifiedAtOrAfter"] = format_timestamp(since)

        def fetch(offset: int) -> httpx.Response:
            return self.client.request("GET", "/api/product", params={**params, "offset": offset})

        checker: PageChecker | None = None

        def parse(response: httpx.Response, offset: int) -> Page[Product] | CheckingPage:
            nonlocal checker
            total = total_count(response)
            if offset == start and self._worth_checking_apart(total, offset):
                log.info("catalog pages are checked in a separate process (%s products)", total)
                checker = PageChecker(self._published())
            if checker is None:
                return parse_product_page(response, offset, self.page_size)
            assert total is not None
            body = response.content
            count = min(self.page_size, max(total - offset, 0))  # the page says at hand-over
            info = PageInfo(offset=offset, limit=self.page_size, count=count, total=total)
            return CheckingPage(info, body, checker.submit(body), checker)

        try:
            yield from parallel_pages(fetch, parse, start, self.page_size, self.workers)
        except GeneratorExit:  # the caller stopped early: what is still queued is not needed
            if checker is not None:
                checker.close(drop_queued=True)
            raise
        finally:
            # The last pages may still be in the check process while the caller reads them:
            # the worker finishes them before it stops.
            if checker is not None:
                checker.close()

    def _worth_checking_apart(self, total: int | None, offset: int) -> bool:
        threshold = self.check_process_from
        return threshold is not None and total is not None and total - offset >= threshold

    def _published(self) -> dict[str, str]:
        with self.session_factory() as session:
            return published_hashes(session)


@dataclass(frozen=True, slots=True)
class CheckingPage:
    """A page handed to the check process: `checked` gives its records, in page order.

    `info.count` is what the total promised; the records tell the real count.
    """

    info: PageInfo
    body: bytes
    checked: Future[list[CheckedRecord]]
    checker: PageChecker


def record_key(record: RecordResult[Product]) -> str:
    """Our external id of a page record, parsed or not."""
    return product_key(record.model) if record.model is not None else raw_key(record.raw)


@dataclass
class PreparedPage:
    """A page checked against the database, ready to be written in one transaction."""

    fetched: int
    unchanged: list[str]
    stored: dict[str, Stored]
    page: Classified

    @property
    def seen(self) -> list[str]:
        return [*self.unchanged, *self.page.seen]

    def claimed_skus(self) -> dict[str, str]:
        """SKUs the page's valid products will hold once written, with their product."""
        return {v.values["sku"]: row.external_id for row in self.page.valid for v in row.variants}


def prepare_page(
    session: Session,
    records: Sequence[RecordResult[Product]],
    pending_skus: Mapping[str, str] | None = None,
) -> PreparedPage:
    """Read what the page needs from the database and classify it (nothing is written).

    `pending_skus` are SKUs of earlier pages not committed yet, so duplicates across pages
    are still caught while those pages are being written.
    """
    keys = [record_key(r) for r in records]
    stored = stored_products(session, keys)
    fresh, hashes, unchanged = split_unchanged(records, stored)
    taken = {**(pending_skus or {}), **sku_owners(session, page_skus(fresh))}
    overrides = quarantine.overrides_for(
        session, RecordType.PRODUCT, [record_key(r) for r in fresh]
    )
    return PreparedPage(len(records), unchanged, stored, classify(fresh, taken, overrides, hashes))


def commit_page(
    sync: CatalogSync,
    session: Session,
    prepared: PreparedPage,
    run_id: int | None,
    only: frozenset[str] | None = None,
) -> RunCounts:
    """Write a prepared page in `session`: publish, release, quarantine; returns its counts.

    With `only` ({"stock", "price"}), published products get just those rewritten.
    """
    page = prepared.page
    counts = RunCounts(fetched=prepared.fetched, unchanged=len(prepared.unchanged))
    rest, targeted = page.valid, TargetedOutcome()
    if only:
        targeted = apply_targeted(session, page.valid, only, sync.codes)
        rest = targeted.rest
    written = write_products(session, rest, sync.codes, run_id, prepared.stored)
    counts.created, counts.updated = written.created, written.updated + targeted.applied
    counts.unchanged += written.unchanged + written.stale + targeted.stale
    counts.written = counts.created + counts.updated
    valid_keys = [v.external_id for v in page.valid]
    counts.released = len(
        quarantine.auto_release(session, RecordType.PRODUCT, valid_keys, run_id=run_id)
    )
    if page.quarantined:
        quarantine.store(session, page.quarantined, run_id=run_id)
        unpublish(session, [item.external_id for item in page.quarantined])
        counts.quarantined = len(page.quarantined)
    return counts


def write_page(
    sync: CatalogSync,
    session: Session,
    records: Sequence[RecordResult[Product]],
    run_id: int | None,
    only: frozenset[str] | None = None,
) -> tuple[RunCounts, list[str]]:
    """Validate and write one page in `session`; returns its counts and the keys it saw."""
    prepared = prepare_page(session, records)
    return commit_page(sync, session, prepared, run_id, only), prepared.seen


def split_unchanged(
    records: Sequence[RecordResult[Product]], stored: Mapping[str, Stored]
) -> tuple[list[RecordResult[Product]], dict[str, str], list[str]]:
    """Set aside records identical to a published version (nothing to check or write).

    Returns the other records, the content hash of each parsed one by key, and the keys
    set aside. What was published passed every rule in exactly this content.
    """
    fresh, hashes, unchanged = [], {}, []
    for record in records:
        if record.model is None:
            fresh.append(record)
            continue
        key = product_key(record.model)
        digest = content_hash(record.model)
        before = stored.get(key)
        if (
            before is not None
            and before.content_hash == digest
            and before.published
            and before.active
        ):
            unchanged.append(key)
        else:
            hashes[key] = digest
            fresh.append(record)
    return fresh, hashes, unchanged


def apply_page(
    sync: CatalogSync,
    records: Sequence[RecordResult[Product]],
    run_id: int | None,
    stage: Stage | None = None,
    *,
    only: frozenset[str] | None = None,
) -> RunCounts:
    """Write one page as one transaction, `stage` (e.g. a cursor) included in it."""
    try:
        with sync.session_factory.begin() as session:
            counts, seen = write_page(sync, session, records, run_id, only)
            if stage is not None:
                stage(session, seen)
        return counts
    except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
        log.warning(
            "catalog page refused by the database (%s); redoing it product by product",
            type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
        )
    sync.codes.clear()
    total, seen_all = RunCounts(), []
    for record in records:
        counts, seen = _one_by_one(sync, record, run_id, only)
        total += counts
        seen_all.extend(seen)
    if stage is not None:
        with sync.session_factory.begin() as session:
            stage(session, seen_all)
    return total


def _one_by_one(
    sync: CatalogSync,
    record: RecordResult[Product],
    run_id: int | None,
    only: frozenset[str] | None,
) -> tuple[RunCounts, list[str]]:
    try:
        with sync.session_factory.begin() as session:
            return write_page(sync, session, [record], run_id, only)
    except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
        sync.codes.clear()
        detail = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        key = record_key(record)
    item = quarantine.QuarantineItem(
        RecordType.PRODUCT, key, [rejected_by_store(detail)], record.payload(), display_id=key
    )
    with sync.session_factory.begin() as session:
        quarantine.store(session, [item], run_id=run_id)
        unpublish(session, [key])
    return RunCounts(fetched=1, quarantined=1), [key]
