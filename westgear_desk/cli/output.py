"""How admin commands print their result: one line, a JSON document or an aligned table."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def echo(text: str) -> None:
    """Write one line to standard output (the command's result)."""
    sys.stdout.write(f"{text}\n")


def echo_json(value: Any) -> None:
    """Write `value` as one line of JSON, non-ASCII letters kept as they are."""
    echo(json.dumps(value, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as aligned columns (long cells cut at 60 characters)."""
    cells = [tuple(cell.replace("\n", " ")[:60] for cell in row) for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        echo("(none)")
