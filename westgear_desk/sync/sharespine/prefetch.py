"""Fetch pages ahead (threads, bounded) while the caller writes the previous ones, in order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Protocol, TypeVar

from westgear_desk.integrations.sharespine.contract import PageInfo


class _PageLike(Protocol):
    @property
    def info(self) -> PageInfo: ...


P = TypeVar("P", bound=_PageLike)


def parallel_pages(
    fetch: Callable[[int], P], start: int, page_size: int, workers: int = 2, depth: int = 4
) -> Iterator[P]:
    """Pages in offset order, with up to `workers` requests in flight (`depth` pages ahead).

    The first page's total count (`X-Total-Count`) tells which offsets exist; without it the
    pages are fetched one after another. The server works on the next page while this
    process parses the current one, so fetching costs about the slower of the two, not
    their sum. Closing the generator early cancels what was not started yet.
    """
    first = fetch(start)
    yield first
    info = first.info
    if not info.has_more or info.count == 0:
        return
    if info.total is None:
        offset = info.offset + info.count
        while True:
            page = fetch(offset)
            yield page
            if not page.info.has_more or page.info.count == 0:
                return
            offset += page.info.count
    offsets = iter(range(info.offset + info.count, info.total, page_size))
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sharespine-page")
    window: deque[Future[P]] = deque()
    try:
        for offset in islice(offsets, depth):
            window.append(pool.submit(fetch, offset))
        while window:
            page = window.popleft().result()
            for offset in islice(offsets, 1):
                window.append(pool.submit(fetch, offset))
            yield page
            if page.info.count == 0:
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
