"""`westgear-desk quarantine list|show|release|ignore|override`: the admin's quarantine tools."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json

if TYPE_CHECKING:
    from westgear_desk.sync.quarantine import QuarantineView

STATUSES = ("open", "released", "ignored", "all")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "quarantine", help="records held back by validation: list, show, release, ignore"
    )
    actions = parser.add_subparsers(dest="quarantine_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="entries, most recently seen first")
    listing.add_argument("--status", choices=STATUSES, default="open")
    listing.add_argument("--type", dest="record_type", default=None, help="e.g. product, order")
    listing.add_argument("--limit", type=int, default=100)
    show = actions.add_parser("show", help="one entry with its reasons and raw payload")
    show.add_argument("entry_id", type=int)
    for name, text in (
        ("release", "accept the record as it is (overrides every reason), audited"),
        ("ignore", "stop showing the record; it stays unpublished, audited"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("entry_id", type=int)
        _decision_options(action)
    override = actions.add_parser("override", help="accept one reason code, audited")
    override.add_argument("entry_id", type=int)
    override.add_argument("code", help="the reason code to accept")
    _decision_options(override)
    for sub in actions.choices.values():
        add_database_url(sub)
        add_json(sub)
        sub.set_defaults(handler=run_quarantine)


def _decision_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why (kept in the audit log)")
    parser.add_argument("--actor", default=None, help="who decides (default: your login name)")


def run_quarantine(args: argparse.Namespace, ctx: CliContext) -> int:
    ctx.require_current_schema()
    action = args.quarantine_action
    if action == "list":
        return _list(args, ctx)
    if action == "show":
        return _show(args, ctx)
    return _decide(args, ctx)


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.enums import QuarantineStatus, RecordType
    from westgear_desk.sync.quarantine import list_entries

    status = None if args.status == "all" else QuarantineStatus(args.status)
    record_type = RecordType(args.record_type) if args.record_type else None
    with ctx.session_factory() as session:
        views = list_entries(session, status=status, record_type=record_type, limit=args.limit)
    if args.json:
        _out(json.dumps([v.to_json() for v in views], ensure_ascii=False))
        return 0
    if not views:
        _out("nothing in quarantine" if args.status == "open" else "no entries")
        return 0
    for v in views:
        codes = ",".join(sorted({r.code for r in v.reasons}))
        seen = v.last_seen_at.strftime("%Y-%m-%d %H:%M")
        _out(f"{v.id:>6}  {v.status:<8}  {v.record_type:<8}  {v.external_id:<24}  {seen}  {codes}")
    return 0


def _show(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sync.quarantine import get_entry

    with ctx.session_factory() as session:
        view = get_entry(session, args.entry_id)
    if view is None:
        print(f"error: no quarantine entry {args.entry_id}", file=sys.stderr)
        return 2
    if args.json:
        _out(json.dumps(view.to_json(with_payload=True), ensure_ascii=False))
        return 0
    _print_view(view, ctx.settings.locale)
    return 0


def _print_view(view: QuarantineView, language: str) -> None:
    _out(f"entry {view.id}: {view.record_type} {view.external_id} ({view.status})")
    _out(f"first seen {view.first_seen_at.isoformat()}, last seen {view.last_seen_at.isoformat()}")
    for reason in view.reasons:
        mark = " (overridden)" if reason.code in view.overridden_reasons else ""
        _out(f"  - {reason.code} [{reason.field or '-'}]{mark}: {reason.message(language)}")
    if view.resolved_by:
        _out(f"resolved by {view.resolved_by}: {view.resolution_note}")
    _out(json.dumps(view.raw_payload, ensure_ascii=False, indent=2))


def _decide(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sync import quarantine

    actor = args.actor or getpass.getuser()
    try:
        with ctx.session_factory.begin() as session:
            if args.quarantine_action == "release":
                view = quarantine.release(session, args.entry_id, actor=actor, reason=args.reason)
            elif args.quarantine_action == "ignore":
                view = quarantine.ignore(session, args.entry_id, actor=actor, reason=args.reason)
            else:
                view = quarantine.override_reason(
                    session, args.entry_id, args.code, actor=actor, reason=args.reason
                )
    except (LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _out(json.dumps(view.to_json(), ensure_ascii=False))
    else:
        _out(f"entry {view.id} ({view.external_id}) is now {view.status}")
        if view.status == "released":
            _out("the record is published by the next sync that brings it")
    return 0


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
