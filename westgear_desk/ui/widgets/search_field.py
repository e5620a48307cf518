"""The search box every page uses: debounced while typing, immediate on Enter (barcode scanners).

A barcode scanner acting as a keyboard types the code fast and presses Enter, so Enter searches
at once; ordinary typing waits `delay_ms` after the last key so a query is not run per keystroke.

Signals: `search_requested(str)` with the trimmed text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from westgear_desk.ui.i18n import tr

DEFAULT_DELAY_MS = 250


class SearchField(QLineEdit):
    """A QLineEdit that emits `search_requested` once typing pauses, or on Enter."""

    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, delay_ms: int = DEFAULT_DELAY_MS) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.setPlaceholderText(tr("search.placeholder"))
        self.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._emit)
        self.textChanged.connect(self._on_text_changed)
        self.returnPressed.connect(self.flush)
        self._last_sent: str | None = None

    @property
    def pending(self) -> bool:
        """True while a debounced search is waiting to be sent."""
        return self._timer.isActive()

    def flush(self) -> None:
        """Send the current text now (cancelling the debounce)."""
        self._timer.stop()
        self._emit(force=True)

    def _on_text_changed(self, _text: str) -> None:
        self._timer.start()

    def _emit(self, force: bool = False) -> None:
        text = self.text().strip()
        if text == self._last_sent and not force:
            return
        self._last_sent = text
        self.search_requested.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            self.flush()
            return
        super().keyPressEvent(event)
