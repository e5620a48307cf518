"""`westgear-desk jobs list|show|retry|discard`: inspect outbox jobs, act on dead ones (audited)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json
from westgear_desk.cli.output import echo, echo_json, print_table

STATUSES = ("pending", "running", "done", "dead", "discarded")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "jobs", help="list and inspect outbox jobs; retry or discard dead ones"
    )
    actions = parser.add_subparsers(dest="jobs_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="newest jobs first")
    listing.add_argument("--status", choices=STATUSES, help="only jobs with this status")
    listing.add_argument("--kind", help="only jobs of this kind, e.g. klarna.capture")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one job with its payload and attempt history")
    show.add_argument("job_id", type=int, metavar="ID")
    show.set_defaults(handler=run_show)

    retry = actions.add_parser("retry", help="make a dead job due now (optionally new payload)")
    retry.add_argument("job_id", type=int, metavar="ID")
    _add_actor(retry)
    payload = retry.add_mutually_exclusive_group()
    payload.add_argument("--payload", help="replacement payload as a JSON object")
    payload.add_argument("--payload-file", type=Path, help="replacement payload from a file")
    retry.set_defaults(handler=run_retry)

    discard = actions.add_parser("discard", help="give up a dead or pending job for good")
    discard.add_argument("job_id", type=int, metavar="ID")
    _add_actor(discard)
    discard.set_defaults(handler=run_discard)

    for sub in (listing, show, retry, discard):
        add_database_url(sub)
        add_json(sub)


def _add_actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why (kept in the audit log)")
    parser.add_argument(
        "--user",
        default=None,
        help="who acts (default: WESTGEAR_USER or the operating-system user)",
    )


def acting_user(args: argparse.Namespace) -> str:
    """The name written to the audit log for this command."""
    return str(args.user or os.environ.get("WESTGEAR_USER") or getpass.getuser())


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sync.job_admin import list_jobs

    ctx.require_current_schema()
    with ctx.session_factory() as session:
        jobs = list_jobs(session, status=args.status, kind=args.kind, limit=args.limit)
    if args.json:
        echo_json([job.as_dict() for job in jobs])
        return 0
    rows = [
        (
            str(j.id),
            j.kind,
            j.status,
            str(j.attempts),
            j.run_at.strftime("%Y-%m-%d %H:%M:%S"),
            j.last_error_class or "",
            str(j.last_http_status or ""),
        )
        for j in jobs
    ]
    print_table(("id", "kind", "status", "tries", "run at (UTC)", "last error", "http"), rows)
    return 0


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sync.job_admin import get_job

    ctx.require_current_schema()
    with ctx.session_factory() as session:
        detail = get_job(session, args.job_id)
    data = detail.as_dict()
    if args.json:
        echo_json(data)
        return 0
    history = data.pop("history")
    for key, value in data.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        echo(f"{key:>18}: {'' if shown is None else shown}")
    echo("\nattempts:")
    rows = [
        (
            str(a["attempt_no"]),
            a["desk"],
            a["started_at"] or "",
            a["outcome"] or "",
            a["error_class"] or "",
            str(a["http_status"] or ""),
            a["message"] or "",
        )
        for a in history
    ]
    print_table(("no", "desk", "started (UTC)", "outcome", "error", "http", "message"), rows)
    return 0


def run_retry(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.session import unit_of_work
    from westgear_desk.sync.job_admin import get_job, retry_job

    payload = _payload(args)
    ctx.require_current_schema()
    with unit_of_work(ctx.session_factory) as session:
        retry_job(
            session, args.job_id, actor=acting_user(args), reason=args.reason, payload=payload
        )
    return _report(args, ctx, get_job, "due now")


def run_discard(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.session import unit_of_work
    from westgear_desk.sync.job_admin import discard_job, get_job

    ctx.require_current_schema()
    with unit_of_work(ctx.session_factory) as session:
        discard_job(session, args.job_id, actor=acting_user(args), reason=args.reason)
    return _report(args, ctx, get_job, "discarded")


def _report(args: argparse.Namespace, ctx: CliContext, get_job: Any, what: str) -> int:
    with ctx.session_factory() as session:
        summary = get_job(session, args.job_id).summary
    if args.json:
        echo_json(summary.as_dict())
    else:
        echo(f"job {summary.id} ({summary.kind}) is {summary.status}: {what}")
    return 0


def _payload(args: argparse.Namespace) -> dict[str, Any] | None:
    from westgear_desk.sync.job_admin import JobActionError

    text = args.payload
    if args.payload_file is not None:
        try:
            text = args.payload_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise JobActionError(f"cannot read {args.payload_file}: {exc.strerror}") from exc
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise JobActionError(f"the payload is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise JobActionError("the payload must be a JSON object")
    return value
