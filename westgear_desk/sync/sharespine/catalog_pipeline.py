"""Pages written on a writer thread while the next ones are parsed and checked.

The writer thread spends its time waiting for PostgreSQL (which works on another core);
meanwhile the pages after it are parsed and checked: on this thread for small runs, in the
check process (`check_process`) for large ones, where this thread only decides them against
the database. Only one page is written at a time and in order, so cursors still move page
by page; SKUs of a page not committed yet are handed to the decisions of the next page, so
cross-page duplicates are still caught.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import cast

from sqlalchemy import exc as sa_exc

from westgear_desk.gc_policy import fewer_collections
from westgear_desk.integrations.sharespine.client import Page, RecordResult
from westgear_desk.integrations.sharespine.contract import PageInfo, Product
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.catalog_checked import prepare_checked
from westgear_desk.sync.sharespine.catalog_pages import (
    CatalogSync,
    CheckingPage,
    PreparedPage,
    Stage,
    apply_page,
    commit_page,
    prepare_page,
)
from westgear_desk.sync.sharespine.prefetch import parse_product_records

StageFor = Callable[[PageInfo], Stage | None]
Records = Callable[[], Sequence[RecordResult[Product]]]

#: Pages queued for the check process beyond the one being handed to the writer, so that
#: the check process always has the next page at hand.
CHECK_AHEAD = 2


def _write(
    sync: CatalogSync,
    records: Records,
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
    return apply_page(sync, records(), run_id, stage, only=only)  # product by product


def apply_pages(  # noqa: PLR0917 - the flows' one call shape
    sync: CatalogSync,
    pages: Iterator[Page[Product] | CheckingPage],
    run_id: int | None,
    total: RunCounts,
    stage_for: StageFor | None = None,
    only: frozenset[str] | None = None,
) -> None:
    """Write every page in order, each in one transaction; counts are added to `total`.

    Raises what fetching or writing raised, after the page being written has finished
    (so `total` covers exactly what was committed).
    """
    try:
        with fewer_collections():  # pages are large, short-lived and free of cycles
            first = next(pages, None)
            if first is None:
                return
            if isinstance(first, CheckingPage):
                checked = cast(Iterator[CheckingPage], chain([first], pages))
                _apply_checked(sync, checked, run_id, total, stage_for, only)
            else:
                parsed = cast(Iterator[Page[Product]], chain([first], pages))
                _apply_in_order(sync, parsed, run_id, total, stage_for, only)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # stops fetching ahead (and the check process) at once


@dataclass
class _Writer:
    """The writer thread, the page it writes and the SKUs that page will hold once committed."""

    total: RunCounts
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="catalog-writer")
    )
    write: Future[RunCounts] | None = None
    claimed: dict[str, str] = field(default_factory=dict)

    def wait(self) -> None:
        """Wait for the page being written; its counts join the total."""
        if self.write is not None:
            write, self.write = self.write, None
            add_to(self.total, write.result())
            self.claimed = {}

    def start(  # noqa: PLR0917 - what `_write` needs
        self,
        sync: CatalogSync,
        records: Records,
        prepared: PreparedPage,
        run_id: int | None,
        stage: Stage | None,
        only: frozenset[str] | None,
    ) -> None:
        """Write `prepared` once the page before it is written."""
        self.wait()
        self.claimed = prepared.claimed_skus()
        self.write = self.pool.submit(
            _write, sync, records, prepared, run_id, stage=stage, only=only
        )

    def close(self) -> None:
        """Finish the page being written (its counts join the total), then stop the thread."""
        try:
            self.wait()
        finally:
            self.pool.shutdown(wait=True)


def _apply_in_order(  # noqa: PLR0917 - apply_pages' arguments
    sync: CatalogSync,
    pages: Iterator[Page[Product]],
    run_id: int | None,
    total: RunCounts,
    stage_for: StageFor | None,
    only: frozenset[str] | None,
) -> None:
    writer = _Writer(total)
    try:
        for page in pages:
            # Ended by ROLLBACK on purpose: that makes psycopg drop the connection's prepared
            # statements, so lookups planned while the tables were nearly empty (seq scans,
            # no statistics) are planned again instead of being reused for the whole run.
            with sync.session_factory() as session:
                prepared = prepare_page(session, page.records, writer.claimed)
            stage = stage_for(page.info) if stage_for is not None else None
            writer.start(sync, _records_of(page), prepared, run_id, stage, only)
    finally:
        writer.close()


def _records_of(page: Page[Product]) -> Records:
    return lambda: page.records


def _apply_checked(  # noqa: PLR0917 - apply_pages' arguments
    sync: CatalogSync,
    pages: Iterator[CheckingPage],
    run_id: int | None,
    total: RunCounts,
    stage_for: StageFor | None,
    only: frozenset[str] | None,
) -> None:
    writer = _Writer(total)
    queued: deque[CheckingPage] = deque()

    def hand_over(item: CheckingPage) -> None:
        records = item.checker.result(item.body, item.checked)
        info = item.info.model_copy(update={"count": len(records)})
        with sync.session_factory() as session:  # ROLLBACK on purpose, as above
            prepared = prepare_checked(session, records, item.body, writer.claimed)
        stage = stage_for(info) if stage_for is not None else None
        writer.start(sync, partial(parse_product_records, item.body), prepared, run_id, stage, only)

    try:
        while True:
            try:
                item = next(pages)
            except StopIteration:
                break
            except BaseException:
                while queued:  # pages fetched before the failure are still written
                    hand_over(queued.popleft())
                raise
            queued.append(item)
            # The oldest page goes to the writer once checked (at once when checked here),
            # or when CHECK_AHEAD pages wait behind it.
            while queued and (len(queued) > CHECK_AHEAD or queued[0].checked.done()):
                hand_over(queued.popleft())
        while queued:
            hand_over(queued.popleft())
    finally:
        writer.close()


def add_to(total: RunCounts, counts: RunCounts) -> None:
    """Add `counts` into `total` in place (the caller keeps the same object)."""
    for name, value in counts.to_dict().items():
        setattr(total, name, getattr(total, name) + value)
