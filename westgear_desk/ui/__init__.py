"""PySide6 user interface: windows, pages, item models, dialogs, the background-task helper."""

from westgear_desk.ui.pyside_fix import apply as _guard_singletons

_guard_singletons()  # before any widget exists: see pyside_fix (PySide6 6.12 on Python 3.11)
