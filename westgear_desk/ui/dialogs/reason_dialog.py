"""Asks why before an audited action (release, ignore, retry, discard …): the answer is audited.

Tests replace `ReasonDialog.ask` (the testable entry point) instead of clicking the dialog.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from westgear_desk.ui.i18n import register, tr

register(
    {
        "reason.prompt": (
            "Varför? Svaret sparas i granskningsloggen med ditt namn.",
            "Why? The answer is kept in the audit log with your name.",
        ),
    }
)


class ReasonDialog(QDialog):
    """A prompt and a text box; OK stays disabled until a reason is written."""

    def __init__(self, title: str, prompt: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reason_dialog")
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("reason_text")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt or tr("reason.prompt"), self))
        layout.addWidget(self.text)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._update_ok)
        self._update_ok()

    def reason(self) -> str:
        return self.text.toPlainText().strip()

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.reason()))

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, prompt: str = "") -> str | None:
        """Show the dialog; the reason written, or None if the user cancelled."""
        dialog = cls(title, prompt, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.reason() or None
