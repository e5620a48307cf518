"""A coloured dot with a name: one integration's health in the status bar."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

COLORS: Final[dict[str, str]] = {
    "ok": "#2e7d32",
    "degraded": "#f9a825",
    "failing": "#c62828",
    "idle": "#9e9e9e",
}


class _Dot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = QColor(COLORS["idle"])
        self.setFixedSize(QSize(12, 12))

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.color.darker(130))
        painter.setBrush(self.color)
        painter.drawEllipse(QRectF(1, 1, 10, 10))
        painter.end()


class HealthLight(QWidget):
    """`set_level("ok" | "degraded" | "failing" | "idle", tooltip)`; `level` reads it back."""

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"health_{name}")
        self.name = name
        self.level = "idle"
        self._dot = _Dot(self)
        self._label = QLabel(label, self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self._dot, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._label)

    def set_level(self, level: str, tooltip: str = "") -> None:
        self.level = level
        self._dot.color = QColor(COLORS.get(level, COLORS["idle"]))
        self._dot.update()
        self.setToolTip(tooltip)
