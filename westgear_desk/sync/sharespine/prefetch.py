"""Fetch pages on a thread while the caller writes the previous ones (a bounded queue between)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, TypeVar

T = TypeVar("T")
_POLL_S: Final = 0.2


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


class _Done:
    pass


_DONE: Final = _Done()


def prefetched(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield the items of `source`, produced up to `depth` ahead on a worker thread.

    An exception in `source` is raised here, in order, after the items before it. Closing
    the generator early stops the producer at its next item.
    """
    if depth < 1:
        yield from source
        return
    items: queue.Queue[T | _Failed | _Done] = queue.Queue(maxsize=depth)
    cancelled = threading.Event()

    def put(item: T | _Failed | _Done) -> bool:
        while not cancelled.is_set():
            try:
                items.put(item, timeout=_POLL_S)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(_Failed(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="sharespine-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        cancelled.set()
        worker.join(timeout=30)
