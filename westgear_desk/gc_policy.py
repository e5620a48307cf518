"""Fewer cyclic garbage collections while big pages of records become objects.

A page of 500 Sharespine products turns into about 100,000 container objects (models,
dicts, lists) that live until the page is written. With CPython's default thresholds the
collector runs a young pass every 700 allocations and, every tenth one, a pass over the
middle generation too, walking those still-live objects again and again: measured here,
that more than doubled the parse time of a page (53 ms without collections, 116-137 ms
with them) and made the whole catalog refresh use about a third more CPU. These objects
form no reference cycles, so reference counting frees them anyway; only the passes are
wasted.

`fewer_collections()` raises the young threshold for as long as any caller holds it
(threads may overlap: the last one out restores the old threshold), so a bulk run pays
for a collection every 100,000 allocations instead. Collections are never switched off.

One thing on a page did form cycles: each httpx response and its stream refer to each
other, so a page's body of about 2 MB waited for a full collection (the syncing process grew
from 183 to 370 MB over 50,000 products). `ApiClient` now breaks that cycle once the body is
read (`detach_stream`), so bodies are freed as soon as the page is parsed.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000

_lock = threading.Lock()
_holders = 0
_saved_young = 0


@contextmanager
def fewer_collections(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Collect the young generation only every `young` allocations inside the block."""
    global _holders, _saved_young  # noqa: PLW0603 - one process-wide setting, guarded by _lock
    with _lock:
        if _holders == 0:
            current, middle, old = gc.get_threshold()
            _saved_young = current
            if current and current < young:  # 0 means collection is off: leave it so
                gc.set_threshold(young, middle, old)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                current, middle, old = gc.get_threshold()
                if current == young:  # not changed by someone else meanwhile
                    gc.set_threshold(_saved_young, middle, old)


def raise_base_threshold(young: int) -> None:
    """From now on collect the young generation at most every `young` allocations, also once
    a bulk run in progress has ended (the desk's start-up setting goes through here, so a
    catalog run that began before it does not put the old threshold back)."""
    global _saved_young  # noqa: PLW0603 - see fewer_collections
    with _lock:
        current, middle, old = gc.get_threshold()
        if not current:  # collection is off: leave it so
            return
        if _holders:
            _saved_young = max(_saved_young, young)
        if current < young:
            gc.set_threshold(young, middle, old)


def young_threshold() -> int:
    """The young-generation threshold in force now (for tests and diagnostics)."""
    return gc.get_threshold()[0]
