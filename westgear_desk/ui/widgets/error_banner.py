"""A calm inline message at the top of the window, instead of a modal traceback dialog.

It shows the plain message of a failed action, stays until closed or for `timeout_ms`,
and never blocks the user (tests read `message()` rather than clicking a dialog away).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

DEFAULT_TIMEOUT_MS = 20_000


class ErrorBanner(QWidget):
    """Hidden until `show_message(text)`; the ✕ button or the timeout hides it again."""

    def __init__(self, parent: QWidget | None = None, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        super().__init__(parent)
        self.setObjectName("error_banner")
        self.setStyleSheet(
            "#error_banner { background: #fdecea; border: 1px solid #f5c2c0; }"
            "QLabel { color: #611a15; }"
        )
        self.setAutoFillBackground(True)
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str) -> None:
        self._label.setText(text)
        self.show()
        self._timer.start()

    def message(self) -> str:
        return self._label.text() if self.isVisible() else ""
