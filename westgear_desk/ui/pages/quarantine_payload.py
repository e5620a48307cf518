"""The raw payload of a quarantined record as indented JSON, with the broken fields highlighted.

`render_payload` prints the JSON itself so it knows which lines belong to which dotted field
path (``variants.0.ean``); the view then paints those lines, so an admin sees at a glance the
value each reason points at, in the payload exactly as it was received.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtGui import QColor, QFont, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

HIGHLIGHT = "#ffe0b2"
INDENT = "  "


@dataclass
class RenderedPayload:
    """The JSON text and, per dotted path, the (first, last) line numbers it spans (0-based)."""

    text: str
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def lines_for(self, paths: Iterable[str]) -> list[int]:
        """Line numbers to highlight for `paths`; a path not in the payload marks its parent."""
        lines: set[int] = set()
        for path in paths:
            span = self._closest(path)
            if span is not None:
                lines.update(range(span[0], span[1] + 1))
        return sorted(lines)

    def _closest(self, path: str) -> tuple[int, int] | None:
        parts = [p for p in path.split(".") if p]
        while parts:
            span = self.spans.get(".".join(parts))
            if span is not None:
                return span
            parts.pop()
        return None


def render_payload(payload: Any) -> RenderedPayload:
    """Indented JSON of `payload` with the line span of every field path."""
    lines: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    _emit(payload, "", "", 0, lines, spans, last=True)
    return RenderedPayload("\n".join(lines), spans)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _emit(  # noqa: PLR0917 - a recursive printer's state
    value: Any,
    path: str,
    prefix: str,
    depth: int,
    lines: list[str],
    spans: dict[str, tuple[int, int]],
    *,
    last: bool,
) -> None:
    pad = INDENT * depth
    comma = "" if last else ","
    start = len(lines)
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{prefix}{{")
        items = list(value.items())
        for i, (key, child) in enumerate(items):
            child_path = f"{path}.{key}" if path else str(key)
            _emit(child, child_path, f"{_scalar(str(key))}: ", depth + 1, lines, spans,
                  last=i == len(items) - 1)  # fmt: skip
        lines.append(f"{pad}}}{comma}")
    elif isinstance(value, list) and value:
        lines.append(f"{pad}{prefix}[")
        for i, child in enumerate(value):
            child_path = f"{path}.{i}" if path else str(i)
            _emit(child, child_path, "", depth + 1, lines, spans, last=i == len(value) - 1)
        lines.append(f"{pad}]{comma}")
    else:
        lines.append(f"{pad}{prefix}{_scalar(value)}{comma}")
    if path:
        spans[path] = (start, len(lines) - 1)


class PayloadView(QPlainTextEdit):
    """Read-only monospace JSON with the lines of the given field paths highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payload_view")
        self.setReadOnly(True)
        self.setFont(QFont("monospace"))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._highlighted: list[int] = []

    def show_payload(self, payload: Any, broken_fields: Iterable[str]) -> None:
        rendered = render_payload(payload)
        self.setPlainText(rendered.text)
        self._highlighted = rendered.lines_for(broken_fields)
        selections = []
        for line in self._highlighted:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(HIGHLIGHT))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(self.document().findBlockByLineNumber(line))
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)
        if self._highlighted:
            block = self.document().findBlockByLineNumber(self._highlighted[0])
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()

    def highlighted_lines(self) -> list[str]:
        """The text of the highlighted lines (what the admin's eye is drawn to)."""
        lines = self.toPlainText().split("\n")
        return [lines[i] for i in self._highlighted if i < len(lines)]

    def clear_payload(self) -> None:
        self._highlighted = []
        self.setExtraSelections([])
        self.clear()
