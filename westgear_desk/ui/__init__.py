"""PySide6 user interface: windows, pages, item models, dialogs, the background-task helper."""
