"""The cross-system timeline of one order: a small table model and its view, newest first."""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from westgear_desk.db.queries_timeline import TimelineEntry
from westgear_desk.ui.formatting import format_datetime
from westgear_desk.ui.i18n import register, tr

register(
    {
        "timeline.col.at": ("Tid", "Time"),
        "timeline.col.system": ("System", "System"),
        "timeline.col.what": ("Händelse", "Event"),
        "timeline.col.outcome": ("Utfall", "Outcome"),
        "timeline.col.detail": ("Detaljer", "Details"),
        "timeline.kind.sync": ("Synk", "Sync"),
        "timeline.kind.quarantine": ("Karantän", "Quarantine"),
        "timeline.kind.inbox": ("Inkommande", "Inbound"),
        "timeline.kind.job": ("Jobb", "Job"),
        "timeline.kind.attempt": ("Försök", "Attempt"),
        "timeline.kind.api_call": ("API-anrop", "API call"),
        "timeline.kind.audit": ("Granskning", "Audit"),
        "timeline.outcome.ok": ("OK", "OK"),
        "timeline.outcome.warning": ("Varning", "Warning"),
        "timeline.outcome.error": ("Fel", "Error"),
        "timeline.outcome.info": ("Info", "Info"),
    }
)
OUTCOME_COLORS: Final = {"ok": "#2e7d32", "warning": "#b26a00", "error": "#c62828"}
_COLUMNS: Final = ("at", "system", "what", "outcome", "detail")
AnyIndex = QModelIndex | QPersistentModelIndex


class TimelineModel(QAbstractTableModel):
    """Holds the already-loaded entries of one order (a few hundred at most)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[TimelineEntry] = []

    def set_entries(self, entries: list[TimelineEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> TimelineEntry:
        return self._entries[row]

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._entries)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return tr(f"timeline.col.{_COLUMNS[section]}") if 0 <= section < len(_COLUMNS) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = _COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in ("what", "detail"):
            return entry.detail or None
        if role == Qt.ItemDataRole.ForegroundRole and column == "outcome":
            color = OUTCOME_COLORS.get(entry.outcome.value)
            return QColor(color) if color else None
        return None

    @staticmethod
    def _text(entry: TimelineEntry, column: str) -> str:
        if column == "at":
            return format_datetime(entry.at, seconds=True)
        if column == "system":
            return entry.system
        if column == "what":
            return f"{tr(f'timeline.kind.{entry.kind.value}')}: {entry.title}"
        if column == "outcome":
            return tr(f"timeline.outcome.{entry.outcome.value}")
        return entry.detail

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class TimelineView(QTableView):
    """A read-only table over a TimelineModel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.timeline = TimelineModel(self)
        self.setModel(self.timeline)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((150, 90, 300, 70)):
            self.setColumnWidth(column, width)
