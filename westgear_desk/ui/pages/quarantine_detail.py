"""The detail pane of the Quarantine page: the reasons in plain words beside the raw payload.

Each reason shows its message in the UI language and the field it points at; the payload
view highlights those fields' lines; the audit history says who decided what, and why.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from westgear_desk.db.queries_admin import QuarantineDetail
from westgear_desk.ui.formatting import format_datetime
from westgear_desk.ui.i18n import language, register, tr
from westgear_desk.ui.pages.quarantine_payload import PayloadView

register(
    {
        "quarantine.detail.empty": ("Välj en post.", "Select a record."),
        "quarantine.detail.seen": (
            "Först sedd {first} · senast sedd {last}",
            "First seen {first} · last seen {last}",
        ),
        "quarantine.detail.resolved": ("{status} av {who}: {note}", "{status} by {who}: {note}"),
        "quarantine.detail.field": ("fält {field}", "field {field}"),
        "quarantine.detail.overridden": ("(godtagen)", "(overridden)"),
    }
)
REASON_CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class QuarantineDetailPane(QWidget):
    """Header (record, status, first/last seen), reasons list, payload view, history."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(tr("quarantine.detail.empty"), self)
        self.header.setObjectName("quarantine_header")
        self.header.setWordWrap(True)
        self.reasons = QListWidget(self)
        self.reasons.setObjectName("reasons")
        self.reasons.setMaximumHeight(120)
        self.payload = PayloadView(self)
        self.history = QLabel(self)
        self.history.setObjectName("quarantine_history")
        self.history.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.reasons)
        layout.addWidget(self.payload, 1)
        layout.addWidget(self.history)

    def selected_code(self) -> str | None:
        """The reason code the admin picked in the list, if any."""
        item = self.reasons.currentItem()
        return None if item is None else str(item.data(REASON_CODE_ROLE))

    def show_detail(self, detail: QuarantineDetail | None) -> None:
        self.reasons.clear()
        if detail is None:
            self.header.setText(tr("quarantine.detail.empty"))
            self.payload.clear_payload()
            self.history.clear()
            return
        self.header.setText(_header_html(detail))
        lang = language()
        for reason in detail.row.reasons:
            text = reason.message(lang)
            if reason.field:
                text += f" — {tr('quarantine.detail.field', field=reason.field)}"
            if reason.code in detail.row.overridden:
                text += f" {tr('quarantine.detail.overridden')}"
            item = QListWidgetItem(text, self.reasons)
            item.setData(REASON_CODE_ROLE, reason.code)
            item.setToolTip(reason.code)
        fields = [r.field for r in detail.row.open_reasons if r.field]
        self.payload.show_payload(detail.raw_payload, fields)
        self.history.setText(
            "<br>".join(
                f"{escape(format_datetime(h.at))} {escape(h.username)}: {escape(h.action)}"
                f" – {escape(h.reason or '')}"
                for h in detail.history
            )
        )


def _header_html(detail: QuarantineDetail) -> str:
    row = detail.row
    seen = tr(
        "quarantine.detail.seen",
        first=format_datetime(row.first_seen_at),
        last=format_datetime(row.last_seen_at),
    )
    text = (
        f"<b>{escape(row.source_system)} {escape(row.record_type)} {escape(row.external_id)}</b>"
        f" – {escape(tr(f'quarantine.status.{row.status}'))}<br>{escape(seen)}"
    )
    if row.resolved_by:
        resolved = tr(
            "quarantine.detail.resolved",
            status=tr(f"quarantine.status.{row.status}"),
            who=row.resolved_by,
            note=detail.resolution_note or "",
        )
        text += f"<br>{escape(resolved)}"
    return text
