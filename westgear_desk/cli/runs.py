"""`westgear-desk runs`: what the schedulers ran, when, on which desk, and how it went."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json

if TYPE_CHECKING:
    from westgear_desk.sync.runs import RunView

_COLUMNS = ("id", "schedule", "slot (UTC)", "status", "desk", "took", "counts", "error")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "runs", help="list scheduled sync runs, newest first"
    )
    add_database_url(parser)
    parser.add_argument("--schedule", default=None, help="only runs of this schedule (flow)")
    parser.add_argument("--limit", type=_positive, default=50, help="how many runs (default 50)")
    add_json(parser)
    parser.set_defaults(handler=run_runs)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def run_runs(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.session import reader_engine
    from westgear_desk.sync.runs import list_runs

    ctx.require_current_schema()
    from sqlalchemy.orm import Session

    with Session(reader_engine(ctx.engine)) as session:
        views = list_runs(session, schedule=args.schedule, limit=args.limit)
    if args.json:
        _out(json.dumps([view.to_json() for view in views], ensure_ascii=False))
        return 0
    if not views:
        _out("no runs yet" if args.schedule is None else f"no runs of {args.schedule} yet")
        return 0
    rows = [_row(view) for view in views]
    widths = [max(len(col), *(len(r[i]) for r in rows)) for i, col in enumerate(_COLUMNS)]
    _out("  ".join(col.ljust(w) for col, w in zip(_COLUMNS, widths, strict=True)).rstrip())
    for row in rows:
        _out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _row(view: RunView) -> tuple[str, ...]:
    slot = view.slot_at.strftime("%Y-%m-%d %H:%M:%S") if view.slot_at else "-"
    took = "-" if view.duration_s is None else f"{view.duration_s:.1f}s"
    error = (view.error_summary or "").splitlines()[0][:60] if view.error_summary else ""
    return (
        str(view.id),
        view.schedule,
        slot,
        view.status,
        view.desk or "-",
        took,
        view.counts.summary(),
        error,
    )
