"""Fetch pages ahead (threads, bounded) while the caller writes the previous ones, in order."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any, Protocol, TypeVar

import httpx
import pydantic

from westgear_desk.errors import DataError, ServerError
from westgear_desk.gc_policy import fewer_collections
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import Page, RecordResult
from westgear_desk.integrations.sharespine.contract import (
    PRODUCT_PAGE,
    TOTAL_COUNT_HEADER,
    PageInfo,
    Product,
)


class _PageLike(Protocol):
    @property
    def info(self) -> PageInfo: ...


P = TypeVar("P", bound=_PageLike)
R = TypeVar("R")


def parallel_pages(
    fetch: Callable[[int], R],
    parse: Callable[[R, int], P],
    start: int,
    page_size: int,
    workers: int = 2,
) -> Iterator[P]:
    """Pages in offset order: `fetch(offset)` runs on up to `workers` threads, `parse` here.

    The first page's total count (`X-Total-Count`) tells which offsets exist; without it the
    pages are fetched one after another. The server works on the next pages while this
    thread parses and writes the current one, so fetching costs about the slower of the
    two, not their sum. Closing the generator early cancels what was not started yet.
    """
    first = parse(fetch(start), start)
    yield first
    info = first.info
    if not info.has_more or info.count == 0:
        return
    if info.total is None:
        offset = info.offset + info.count
        while True:
            page = parse(fetch(offset), offset)
            yield page
            if not page.info.has_more or page.info.count == 0:
                return
            offset += page.info.count
    offsets = iter(range(info.offset + info.count, info.total, page_size))
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sharespine-page")
    window: deque[tuple[int, Future[R]]] = deque()
    try:
        for offset in islice(offsets, 2 * workers):
            window.append((offset, pool.submit(fetch, offset)))
        while window:
            offset, future = window.popleft()
            answer = future.result()
            for following in islice(offsets, 1):
                window.append((following, pool.submit(fetch, following)))
            page = parse(answer, offset)
            yield page
            if page.info.count == 0:
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def parse_product_page(response: httpx.Response, offset: int, limit: int) -> Page[Product]:
    """Parse one `GET /api/product` answer like the client does, on the caller's thread.

    Raises DataError when the body is not a JSON array.
    """
    body = response.content
    records = parse_product_records(body)
    info = PageInfo(offset=offset, limit=limit, count=len(records), total=total_count(response))
    return Page(records, info, body)


def total_count(response: httpx.Response) -> int | None:
    """The list's length from `X-Total-Count`, None when absent or not a number."""
    total = response.headers.get(TOTAL_COUNT_HEADER)
    return int(total) if total and total.isdigit() else None


def parse_product_records(body: bytes) -> list[RecordResult[Product]]:
    """The records of a product page body, always the same for the same bytes.

    One `validate_json` call for the whole page; when a record breaks the contract, each
    record is validated alone so only that one is reported.
    """
    with fewer_collections():
        try:
            return [RecordResult(m, None) for m in PRODUCT_PAGE.validate_json(body)]
        except pydantic.ValidationError:
            return [_one(item) for item in _decode(body)]


def _decode(body: bytes) -> list[Any]:
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise ServerError(
            "sharespine: a page answered invalid JSON",
            system="sharespine",
            error_code="malformed_json",
        ) from exc
    if not isinstance(raw, list):
        raise DataError(
            f"sharespine: expected a JSON array of records, got {type(raw).__name__}",
            system="sharespine",
            error_code="contract_violation",
        )
    return raw


def _one(item: Any) -> RecordResult[Product]:
    try:
        return RecordResult(Product.model_validate(item), item)
    except pydantic.ValidationError as exc:
        return RecordResult(None, item, describe_validation_error(exc))
