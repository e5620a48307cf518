"""Guards against a PySide6 6.12 reference-count bug on Python 3.11 that crashes the desk.

With PySide6 6.12.0 on Python 3.11, every call of a Qt method that returns nothing (`update()`,
`setText()`, `processEvents()` …) and every invalid QVariant read as None drops one reference
to `None` that it never took. `None`'s count starts in the tens of thousands, so after a few
minutes of painting CPython frees `None` and aborts ("none_dealloc: deallocating None").
Python 3.12 made None, True and False immortal, which hides the bug there. On an affected
interpreter, `apply()` gives those three singletons a count no session can use up, the same
effect as 3.12's immortality. It detects the bug by probing, so it does nothing once PySide6
is fixed or on Python >= 3.12.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

#: References added to None, True and False: 2**40 lost references is weeks of painting.
PAD: Final = 1 << 40
_PROBE_CALLS: Final = 50
_applied: list[bool] = []


def leaks_none() -> bool:
    """True when a void Qt call loses a reference to None (the PySide6 6.12 bug)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= _PROBE_CALLS // 2


def apply() -> bool:
    """Pad the singletons' reference counts if this interpreter needs it; True if it did."""
    if _applied:
        return _applied[0]
    needed = sys.version_info < (3, 12) and leaks_none()
    if needed:
        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += PAD
    _applied.append(needed)
    return needed
