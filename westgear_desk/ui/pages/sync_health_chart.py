"""A small 24-hour chart of API calls, errors and latency, painted with QPainter.

PySide6-Essentials ships no QtCharts, and three series over 24 hourly buckets need little:
bars for calls with the failed share in red on top of them, and a line for mean latency on
its own scale. `summary()` states the same figures in words (tooltip, tests, screen readers).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from westgear_desk.db.queries_admin import HourStats
from westgear_desk.ui.formatting import format_duration_ms, format_number, local
from westgear_desk.ui.i18n import register, tr

register(
    {
        "chart.summary": (
            "Senaste 24 h: {calls} anrop, {errors} fel, medelsvarstid {latency}, längsta {worst}.",
            "Last 24 h: {calls} calls, {errors} errors, mean latency {latency}, slowest {worst}.",
        ),
        "chart.empty": ("Inga anrop de senaste 24 timmarna.", "No calls in the last 24 hours."),
        "chart.legend.calls": ("anrop", "calls"),
        "chart.legend.errors": ("fel", "errors"),
        "chart.legend.latency": ("medelsvarstid", "mean latency"),
    }
)
CALLS = QColor("#90a4ae")
ERRORS = QColor("#c62828")
LATENCY = QColor("#1565c0")
GRID = QColor("#e0e0e0")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 36, 56, 18, 20


class CallChart(QWidget):
    """Calls and errors per hour as bars, mean latency as a line; `set_stats` repaints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("call_chart")
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._stats: list[HourStats] = []

    def set_stats(self, stats: Sequence[HourStats]) -> None:
        self._stats = list(stats)
        self.setToolTip(self.summary())
        self.update()

    def stats(self) -> list[HourStats]:
        return list(self._stats)

    def summary(self) -> str:
        calls = sum(s.calls for s in self._stats)
        if not calls:
            return tr("chart.empty")
        errors = sum(s.errors for s in self._stats)
        mean = sum(s.avg_latency_ms * s.calls for s in self._stats) / calls
        worst = max(s.max_latency_ms for s in self._stats)
        return tr(
            "chart.summary",
            calls=format_number(calls),
            errors=format_number(errors),
            latency=format_duration_ms(round(mean)),
            worst=format_duration_ms(worst),
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        painter.setFont(font)
        plot = QRectF(
            MARGIN_LEFT,
            MARGIN_TOP,
            max(1.0, self.width() - MARGIN_LEFT - MARGIN_RIGHT),
            max(1.0, self.height() - MARGIN_TOP - MARGIN_BOTTOM),
        )
        painter.setPen(QPen(GRID))
        painter.drawRect(plot)
        self._paint_legend(painter)
        if self._stats:
            self._paint_bars(painter, plot)
            self._paint_latency(painter, plot)
            self._paint_hours(painter, plot)
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        x = float(MARGIN_LEFT)
        metrics = painter.fontMetrics()
        for color, key in ((CALLS, "calls"), (ERRORS, "errors"), (LATENCY, "latency")):
            painter.fillRect(QRectF(x, 4, 10, 10), color)
            text = tr(f"chart.legend.{key}")
            painter.setPen(QPen(QColor("#424242")))
            painter.drawText(QPointF(x + 14, 13), text)
            x += 14 + metrics.horizontalAdvance(text) + 16
        painter.drawText(QPointF(x + 8, 13), self.summary())

    def _paint_bars(self, painter: QPainter, plot: QRectF) -> None:
        top = max(1, *(s.calls for s in self._stats))
        width = plot.width() / len(self._stats)
        for i, stat in enumerate(self._stats):
            x = plot.left() + i * width + 1
            calls_h = plot.height() * stat.calls / top
            errors_h = plot.height() * stat.errors / top
            painter.fillRect(QRectF(x, plot.bottom() - calls_h, width - 2, calls_h), CALLS)
            painter.fillRect(QRectF(x, plot.bottom() - errors_h, width - 2, errors_h), ERRORS)
        painter.setPen(QPen(QColor("#616161")))
        painter.drawText(QPointF(2, plot.top() + 10), format_number(top))
        painter.drawText(QPointF(2, plot.bottom()), "0")

    def _paint_latency(self, painter: QPainter, plot: QRectF) -> None:
        top = max(1.0, *(s.avg_latency_ms for s in self._stats))
        width = plot.width() / len(self._stats)
        points = [
            QPointF(
                plot.left() + (i + 0.5) * width,
                plot.bottom() - plot.height() * stat.avg_latency_ms / top,
            )
            for i, stat in enumerate(self._stats)
            if stat.calls
        ]
        painter.setPen(QPen(LATENCY, 2))
        if len(points) > 1:
            painter.drawPolyline(QPolygonF(points))
        for point in points:
            painter.drawEllipse(point, 2.0, 2.0)
        painter.drawText(QPointF(plot.right() + 4, plot.top() + 10), format_duration_ms(int(top)))

    def _paint_hours(self, painter: QPainter, plot: QRectF) -> None:
        painter.setPen(QPen(QColor("#616161")))
        width = plot.width() / len(self._stats)
        for i, stat in enumerate(self._stats):
            if i % 6 == 0:
                label = local(stat.start).strftime("%H:%M")
                painter.drawText(
                    QRectF(plot.left() + i * width, plot.bottom() + 2, 6 * width, 16),
                    int(Qt.AlignmentFlag.AlignLeft),
                    label,
                )
