"""Parsing and checking catalog pages in a process of their own, for large runs.

A large refresh is bound by one interpreter lock: parsing, hashing, checking and mapping a
page, and the page writer's row building, all need it. The writer is the critical path (its
Python steps alternate with waits on PostgreSQL) and it lost the lock to the checks every
time it came back from the database. What a page needs before the database is consulted is
pure CPU on the page body, so a worker process does it and returns, per record, only what
the desk needs to decide and write: key, content hash, SKUs, its own reasons, its rows when
it passed, its payload when it may be quarantined. The decisions that need the database
(unchanged, duplicate SKUs, admin overrides) stay in the desk (`catalog_checked`).

The worker runs below normal priority: on two cores it then takes the time the writer and
PostgreSQL leave idle instead of slowing them. It is told which products were published
with which content hash when the run began, so an unchanged product is neither checked nor
mapped; the desk still compares with what is stored when it writes the page.

Pages are checked in-process until the worker has started (about a second), and for good
when it dies or fails; the answers are the same, since both sides call `check_records`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from westgear_desk.domain.quarantine import Reason
from westgear_desk.gc_policy import fewer_collections
from westgear_desk.integrations.sharespine.client import RecordResult
from westgear_desk.integrations.sharespine.contract import Product
from westgear_desk.sync.sharespine.catalog_mapping import (
    ProductRows,
    content_hash,
    contract_reasons,
    own_reasons,
    product_key,
    product_rows,
    quarantine_payload,
    raw_key,
)
from westgear_desk.sync.sharespine.prefetch import parse_product_records

log = logging.getLogger(__name__)

#: Runs of at least this many products use the worker: it takes about a second of CPU to
#: start, and a product costs about 0.4 ms to parse, hash, check and map.
CHECK_PROCESS_FROM: Final = 5_000


@dataclass(slots=True)
class CheckedRecord:
    """One page record as the desk needs it to decide and write, without the model."""

    position: int  # on the page
    key: str
    digest: str | None  # content hash; None when the record broke the contract
    remote_id: str  # "" when it has none (duplicate SKU check)
    skus: list[str | None]
    display_id: str
    reasons: list[Reason] | None  # its own reasons; None: published unchanged, not checked
    rows: ProductRows | None  # when it has no reasons of its own
    payload: Any  # when it may be quarantined (own reasons, or a SKU seen before), else None

    def __reduce__(self) -> tuple[type[CheckedRecord], tuple[Any, ...]]:
        # fields as a plain tuple: cheaper to send than the slotted default (a dict each)
        return (
            CheckedRecord,
            (
                self.position,
                self.key,
                self.digest,
                self.remote_id,
                self.skus,
                self.display_id,
                self.reasons,
                self.rows,
                self.payload,
            ),
        )


def check_records(
    records: Sequence[RecordResult[Product]],
    published: Mapping[str, str],
    seen_skus: set[str],
) -> list[CheckedRecord]:
    """Check parsed page records; `seen_skus` (SKUs of earlier records) grows with them.

    `published` maps published products' keys to their content hash: a record with the
    same hash is not checked. A record whose SKU was seen before may be a duplicate, so its
    payload comes along; a duplicate of a SKU stored before the run started is rarer, and
    the desk then parses the page again for it.
    """
    out: list[CheckedRecord] = []
    for position, record in enumerate(records):
        model = record.model
        if model is None:
            key = raw_key(record.raw)
            reasons = contract_reasons(record.raw, record.error)
            out.append(
                CheckedRecord(position, key, None, "", [], key, reasons, None, record.payload())
            )
            continue
        key = product_key(model)
        digest = content_hash(model)
        skus = [v.sku for v in model.variants]
        display = model.sku or key
        seen_before = any(s in seen_skus for s in skus if s)
        seen_skus.update(s for s in skus if s)
        if published.get(key) == digest:
            out.append(
                CheckedRecord(
                    position, key, digest, model.remote_id or "", skus, display, None, None, None
                )
            )
            continue
        mine = own_reasons(model)
        rows = None if mine else product_rows(model, digest)
        payload = quarantine_payload(model) if mine or seen_before else None
        out.append(
            CheckedRecord(
                position, key, digest, model.remote_id or "", skus, display, mine, rows, payload
            )
        )
    return out


# ------------------------------------------------------------------ the worker process

_published: Mapping[str, str] = {}
_seen_skus: set[str] = set()


def _start_worker(published: Mapping[str, str]) -> None:
    """Initializer of the worker: below normal priority, with the run's published hashes."""
    global _published  # noqa: PLW0603 - the worker's one run, set once at its start
    _published = published
    if hasattr(os, "nice"):
        os.nice(10)


def _ready() -> bool:
    return True


def check_body(body: bytes) -> list[CheckedRecord]:
    """Parse and check one product page body (in the worker, pages arrive in order)."""
    with fewer_collections():  # a page's objects are many, short-lived and free of cycles
        return check_records(parse_product_records(body), _published, _seen_skus)


class PageChecker:
    """Checks page bodies in the worker process once it is up, in-process before and after."""

    def __init__(self, published: Mapping[str, str]) -> None:
        self._published = published
        self._seen_skus: set[str] = set()
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future[bool] | None = None
        try:
            # spawn, never fork: the desk runs threads (scheduler, Qt) that a fork would copy
            # mid-flight. The worker only parses and checks bytes; it holds no secret.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(dict(published),),
            )
            self._warm = self._pool.submit(_ready)
        except (OSError, RuntimeError) as exc:  # no process can be started here
            log.warning("the catalog check process could not start (%s); checking in-process", exc)
            self._stop()

    @property
    def in_worker(self) -> bool:
        """True when pages go to the worker process now."""
        warm = self._warm
        return warm is not None and warm.done() and warm.exception() is None

    def submit(self, body: bytes) -> Future[list[CheckedRecord]]:
        """Start checking a page body; pages must be submitted in page order."""
        if self._pool is not None and self.in_worker:
            try:
                return self._pool.submit(check_body, body)
            except RuntimeError:  # the pool broke (the worker died): check here from now on
                self._stop()
        done: Future[list[CheckedRecord]] = Future()
        done.set_result(self.check_here(body))
        return done

    def check_here(self, body: bytes) -> list[CheckedRecord]:
        """Check a page body in this process."""
        return check_records(parse_product_records(body), self._published, self._seen_skus)

    def result(self, body: bytes, future: Future[list[CheckedRecord]]) -> list[CheckedRecord]:
        """The answer of `submit`; checked here instead when the worker failed."""
        try:
            return future.result()
        except Exception as exc:  # whatever broke in the worker: check here
            failure = f"{type(exc).__name__}: {exc}"[:300]
            self._stop()
        records = self.check_here(body)  # raises the page's own error, if it has one
        log.warning(
            "the catalog check process failed a page (%s); checking in-process from now on",
            failure,
        )
        return records

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._warm = None, None

    def close(self, *, drop_queued: bool = False) -> None:
        """Stop the worker process once it has checked the pages queued (or drop those)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=drop_queued)
        self._pool, self._warm = None, None
