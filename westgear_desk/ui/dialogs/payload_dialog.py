"""Edit a dead job's payload as JSON before retrying it; invalid JSON is shown and refused.

The JSON is checked as the user types (with the line and column of the first error) by the
same `services.jobs.parse_payload` the service uses, and the reason for the change is asked
in the same dialog. Tests replace `PayloadDialog.edit` (the testable entry point).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from westgear_desk.errors import KnownError
from westgear_desk.services.jobs import parse_payload
from westgear_desk.ui.i18n import register, tr

register(
    {
        "payload.title": ("Ändra data och försök igen", "Edit payload and retry"),
        "payload.reason": (
            "Anledning (sparas i granskningsloggen)",
            "Reason (kept in the audit log)",
        ),
        "payload.valid": ("Giltig JSON", "Valid JSON"),
    }
)


class PayloadDialog(QDialog):
    """A monospace JSON editor, a live validity line and a reason field."""

    def __init__(self, payload: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payload_dialog")
        self.setWindowTitle(tr("payload.title"))
        self.resize(640, 480)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("payload_editor")
        self.editor.setFont(QFont("monospace"))
        self.editor.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))
        self.status = QLabel(self)
        self.status.setObjectName("payload_status")
        self.status.setWordWrap(True)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("payload_reason")
        self.reason_edit.setPlaceholderText(tr("payload.reason"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.editor, self.status, self.reason_edit, self.buttons):
            layout.addWidget(widget)
        self.editor.textChanged.connect(self._validate)
        self.reason_edit.textChanged.connect(self._validate)
        self._payload: dict[str, Any] | None = None
        self._validate()

    def payload(self) -> dict[str, Any] | None:
        """The edited payload, or None while the text is not a JSON object."""
        return self._payload

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def _validate(self) -> None:
        try:
            self._payload = parse_payload(self.editor.toPlainText())
            self.status.setText(tr("payload.valid"))
            self.status.setStyleSheet("color: #1b5e20;")
        except KnownError as exc:
            self._payload = None
            self.status.setText(str(exc))
            self.status.setStyleSheet("color: #b71c1c;")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self._payload is not None and bool(self.reason()))

    @classmethod
    def edit(
        cls, parent: QWidget | None, payload: dict[str, Any]
    ) -> tuple[dict[str, Any], str] | None:
        """Show the editor; (new payload, reason), or None if the user cancelled."""
        dialog = cls(payload, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        edited = dialog.payload()
        return None if edited is None else (edited, dialog.reason())
