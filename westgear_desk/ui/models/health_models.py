"""Table models for the Sync health page: runs, dead jobs, attempts, inbox events, API calls.

These lists are short (capped in SQL), so a plain list model holding typed rows is enough;
the rows come from the TaskRunner and are swapped in with `set_rows`. Columns reuse the lazy
table's `Column` so every table in the desk is described the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableView

from westgear_desk.db.queries_admin import ApiCallRow, InboxRow, JobRow
from westgear_desk.services.jobs import AttemptView
from westgear_desk.sync.runs import RunView
from westgear_desk.ui.formatting import format_datetime, format_duration_ms
from westgear_desk.ui.i18n import pick, register, tr
from westgear_desk.ui.models.lazy_table import ROW_ID_ROLE, Column

RowT = TypeVar("RowT")
AnyIndex = QModelIndex | QPersistentModelIndex
FAILING = "#b71c1c"
OK = "#1b5e20"

register(
    {
        "health.col.schedule": ("Schema", "Schedule"),
        "health.col.integration": ("Integration", "Integration"),
        "health.col.status": ("Status", "Status"),
        "health.col.started": ("Start", "Started"),
        "health.col.duration": ("Tid", "Duration"),
        "health.col.counts": ("Antal", "Counts"),
        "health.col.error": ("Fel", "Error"),
        "health.col.id": ("Id", "Id"),
        "health.col.kind": ("Typ", "Kind"),
        "health.col.attempts": ("Försök", "Attempts"),
        "health.col.http": ("HTTP", "HTTP"),
        "health.col.updated": ("Ändrad", "Changed"),
        "health.col.attempt": ("Nr", "No."),
        "health.col.outcome": ("Utfall", "Outcome"),
        "health.col.error_class": ("Felklass", "Error class"),
        "health.col.message": ("Meddelande", "Message"),
        "health.col.request_id": ("Request-id", "Request id"),
        "health.col.latency": ("Svarstid", "Latency"),
        "health.col.source": ("Källa", "Source"),
        "health.col.event": ("Händelse", "Event"),
        "health.col.received": ("Mottagen", "Received"),
        "health.col.signature": ("Signatur", "Signature"),
        "health.col.at": ("Tid", "Time"),
        "health.col.system": ("System", "System"),
        "health.col.call": ("Anrop", "Call"),
        "health.col.correlation": ("Korrelations-id", "Correlation id"),
        "health.signature.ok": ("giltig", "valid"),
        "health.signature.bad": ("ogiltig", "invalid"),
    }
)


def _t(key: str) -> Any:
    """A column title that follows the UI language."""
    return lambda: tr(key)


def _text(value: object) -> str:
    return "" if value is None else str(value)


class ListTableModel(QAbstractTableModel, Generic[RowT]):
    """A read-only table over a list of typed rows; `row_id` gives each row's record id."""

    def __init__(
        self,
        columns: Sequence[Column[RowT]],
        row_id: Any = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[RowT] = []
        self._row_id = row_id

    def set_rows(self, rows: Sequence[RowT]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def row_at(self, row: int) -> RowT | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section].title()
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self._columns):
            return None
        row, column = self._rows[index.row()], self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == ROW_ID_ROLE:
            return self._row_id(row) if self._row_id is not None else None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            color = column.color(row)
            return QColor(color) if color else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def fit_columns_once(table: QTableView) -> None:
    """Size columns to their contents the first time rows arrive, unless the user's saved
    layout was restored (then some width differs from the default and is kept as it is)."""
    if table.property("columns_fitted") or table.model() is None:
        return
    if table.model().rowCount() == 0:
        return
    table.setProperty("columns_fitted", True)
    header = table.horizontalHeader()
    default = header.defaultSectionSize()
    if all(header.sectionSize(i) == default for i in range(max(0, header.count() - 1))):
        table.resizeColumnsToContents()


STATE_TEXTS: dict[str, tuple[str, str]] = {
    "running": ("pågår", "running"),
    "succeeded": ("lyckades", "succeeded"),
    "failed": ("misslyckades", "failed"),
    "interrupted": ("avbruten", "interrupted"),
    "pending": ("väntar", "pending"),
    "done": ("klar", "done"),
    "dead": ("död – behöver åtgärd", "dead – needs action"),
    "discarded": ("kastad", "discarded"),
    "retry": ("nytt försök", "retry"),
    "lease_lost": ("tappade låset", "lease lost"),
    "received": ("mottagen", "received"),
    "processing": ("behandlas", "processing"),
    "processed": ("behandlad", "processed"),
    "ignored": ("ignorerad", "ignored"),
}


def state_text(state: str | None) -> str:
    """A run, job, attempt or inbox state in the UI language (unknown states as stored)."""
    if state is None:
        return ""
    pair = STATE_TEXTS.get(state)
    return state if pair is None else pick(*pair)


def _status_color(status: str) -> str | None:
    if status in {"failed", "dead", "interrupted"}:
        return FAILING
    if status in {"succeeded", "processed", "done"}:
        return OK
    return None


def runs_model(
    descriptions: dict[str, str] | None = None, parent: Any = None
) -> ListTableModel[RunView]:
    """Runs; `descriptions` (flow name -> "Sharespine: …", filled later) name the integration."""
    described = descriptions if descriptions is not None else {}

    def integration(run: RunView) -> str:
        text = described.get(run.schedule, "")
        return text.split(":", 1)[0] if ":" in text else "–"

    def duration(run: RunView) -> str:
        seconds = run.duration_s
        return "–" if seconds is None else format_duration_ms(int(seconds * 1000))

    columns: list[Column[RunView]] = [
        Column("integration", _t("health.col.integration"), integration,
               tooltip=lambda r: described.get(r.schedule)),
        Column("schedule", _t("health.col.schedule"), lambda r: r.schedule),
        Column("status", _t("health.col.status"), lambda r: state_text(r.status),
               color=lambda r: _status_color(r.status)),
        Column("started", _t("health.col.started"), lambda r: format_datetime(r.started_at)),
        Column("duration", _t("health.col.duration"), duration, align_right=True),
        Column("counts", _t("health.col.counts"), lambda r: r.counts.summary()),
        Column("error", _t("health.col.error"), lambda r: _text(r.error_summary),
               tooltip=lambda r: r.error_summary),
    ]  # fmt: skip
    return ListTableModel(columns, row_id=lambda r: r.id, parent=parent)


def jobs_model(parent: Any = None) -> ListTableModel[JobRow]:
    columns: list[Column[JobRow]] = [
        Column("id", _t("health.col.id"), lambda r: str(r.id), align_right=True),
        Column("kind", _t("health.col.kind"), lambda r: r.kind),
        Column("attempts", _t("health.col.attempts"), lambda r: str(r.attempts),
               align_right=True),
        Column("error_class", _t("health.col.error_class"),
               lambda r: _text(r.last_error_class).rsplit(".", 1)[-1]),
        Column("http", _t("health.col.http"), lambda r: _text(r.last_http_status)),
        Column("message", _t("health.col.message"), lambda r: _text(r.last_error),
               tooltip=lambda r: r.last_error),
        Column("updated", _t("health.col.updated"), lambda r: format_datetime(r.updated_at)),
    ]  # fmt: skip
    return ListTableModel(columns, row_id=lambda r: r.id, parent=parent)


def attempts_model(parent: Any = None) -> ListTableModel[AttemptView]:
    columns: list[Column[AttemptView]] = [
        Column("no", _t("health.col.attempt"), lambda a: str(a.attempt_no)),
        Column("started", _t("health.col.started"),
               lambda a: format_datetime(a.started_at, seconds=True)),
        Column("outcome", _t("health.col.outcome"), lambda a: state_text(a.outcome),
               color=lambda a: FAILING if a.outcome == "dead" else None),
        Column("error_class", _t("health.col.error_class"), lambda a: _text(a.error_class),
               tooltip=lambda a: a.error_category),
        Column("message", _t("health.col.message"), lambda a: _text(a.message),
               tooltip=lambda a: a.message),
        Column("http", _t("health.col.http"), lambda a: _text(a.http_status)),
        Column("request_id", _t("health.col.request_id"), lambda a: _text(a.request_id)),
        Column("latency", _t("health.col.latency"),
               lambda a: format_duration_ms(a.latency_ms), align_right=True),
    ]  # fmt: skip
    return ListTableModel(columns, row_id=lambda a: a.attempt_no, parent=parent)


def inbox_model(parent: Any = None) -> ListTableModel[InboxRow]:
    def signature(row: InboxRow) -> str:
        return tr("health.signature.ok") if row.signature_ok else tr("health.signature.bad")

    columns: list[Column[InboxRow]] = [
        Column("id", _t("health.col.id"), lambda r: str(r.id), align_right=True),
        Column("source", _t("health.col.source"), lambda r: r.source),
        Column("event", _t("health.col.event"), lambda r: r.event_type),
        Column("status", _t("health.col.status"), lambda r: state_text(r.status),
               color=lambda r: _status_color(r.status)),
        Column("attempts", _t("health.col.attempts"), lambda r: str(r.attempts),
               align_right=True),
        Column("signature", _t("health.col.signature"), signature),
        Column("received", _t("health.col.received"),
               lambda r: format_datetime(r.received_at)),
        Column("error", _t("health.col.error"), lambda r: _text(r.last_error),
               tooltip=lambda r: r.last_error),
    ]  # fmt: skip
    return ListTableModel(columns, row_id=lambda r: r.id, parent=parent)


def calls_model(parent: Any = None) -> ListTableModel[ApiCallRow]:
    columns: list[Column[ApiCallRow]] = [
        Column("at", _t("health.col.at"), lambda c: format_datetime(c.at, seconds=True)),
        Column("system", _t("health.col.system"), lambda c: c.system),
        Column("call", _t("health.col.call"), lambda c: f"{c.method} {c.endpoint}"),
        Column("status", _t("health.col.http"), lambda c: _text(c.status_code),
               color=lambda c: FAILING if c.failed else None),
        Column("latency", _t("health.col.latency"),
               lambda c: format_duration_ms(c.latency_ms), align_right=True),
        Column("error", _t("health.col.error"), lambda c: _text(c.error_code)),
        Column("request_id", _t("health.col.request_id"), lambda c: _text(c.request_id)),
        Column("correlation", _t("health.col.correlation"),
               lambda c: _text(c.correlation_id)),
    ]  # fmt: skip
    return ListTableModel(columns, row_id=lambda c: c.id, parent=parent)
