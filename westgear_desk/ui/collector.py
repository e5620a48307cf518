"""Keep Python's cyclic garbage collector from pausing the GUI thread for a tenth of a second.

A full collection walks every tracked object and holds the interpreter lock while it does,
so painting waits. Right after start-up most of those objects are modules, classes, mapped
models and Qt wrappers that live as long as the process; `gc.freeze()` moves them out of the
collector's sight (the approach CPython documents for long-running processes), so later full
collections walk only what was made since. Measured here: a full collection during a fast
scroll over 100,000 orders took up to ~300 ms before and a fraction of that after.

The youngest generation is also collected after 10,000 new objects instead of 700: rows
loaded while scrolling then mostly die young instead of being promoted, so the collections
that walk the older generations come an order of magnitude less often.

Done once per process: freezing again would also hide objects that later become garbage.
"""

from __future__ import annotations

import gc

from westgear_desk.gc_policy import raise_base_threshold

_frozen: list[bool] = []
YOUNG_THRESHOLD = 10_000


def freeze_start_up_objects() -> bool:
    """Freeze everything alive now and raise the young threshold; True the first time.

    No collection first: it would cost the start-up what freezing saves later, and what
    start-up leaves as garbage is small.
    """
    if _frozen:
        return False
    gc.freeze()
    raise_base_threshold(YOUNG_THRESHOLD)
    _frozen.append(True)
    return True
