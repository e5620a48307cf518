"""`westgear-desk inbox list|show|replay`: inspect inbound webhooks, process one again (audited)."""

from __future__ import annotations

import argparse
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.jobs import acting_user
from westgear_desk.cli.options import add_database_url, add_json
from westgear_desk.cli.output import echo, echo_json, print_table
from westgear_desk.errors import KnownError

STATUSES = ("received", "processing", "processed", "failed", "dead", "ignored")


class InboxCommandError(KnownError):
    """The event is unknown, or cannot be replayed here (unsigned, busy, no processor)."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inbox", help="list inbound webhook events and replay one"
    )
    actions = parser.add_subparsers(dest="inbox_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="newest events first")
    listing.add_argument("--status", choices=STATUSES, help="only events with this status")
    listing.add_argument("--source", help="only events from this system, e.g. klarna")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one event with its processing history")
    show.add_argument("event_id", type=int, metavar="ID")
    show.set_defaults(handler=run_show)

    replay = actions.add_parser("replay", help="process one event again now (audited)")
    replay.add_argument("event_id", type=int, metavar="ID")
    replay.add_argument("--reason", default=None, help="why (kept in the audit log)")
    replay.add_argument(
        "--user", default=None, help="who acts (default: WESTGEAR_USER or the OS user)"
    )
    replay.set_defaults(handler=run_replay)

    for sub in (listing, show, replay):
        add_database_url(sub)
        add_json(sub)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sync.inbox import list_events

    ctx.require_current_schema()
    with ctx.session_factory() as session:
        events = list_events(session, status=args.status, source=args.source, limit=args.limit)
    if args.json:
        echo_json([event.as_dict() for event in events])
        return 0
    rows = [
        (
            str(e.id),
            e.source,
            e.event_type,
            e.status,
            str(e.attempts),
            e.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.dedupe_key,
            e.last_error or "",
        )
        for e in events
    ]
    headers = ("id", "source", "type", "status", "tries", "received (UTC)", "key", "error")
    print_table(headers, rows)
    return 0


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    ctx.require_current_schema()
    data = _event_dict(ctx, args.event_id)
    if args.json:
        echo_json(data)
        return 0
    history = data.pop("history")
    for key, value in data.items():
        echo(f"{key:>15}: {'' if value is None else value}")
    echo("\nattempts:")
    rows = [
        (
            str(a["attempt_no"]),
            a["desk"] or "",
            a["started_at"] or "",
            a["outcome"] or "",
            a["replayed_by"] or "" if a["is_replay"] else "",
            a["message"] or "",
        )
        for a in history
    ]
    print_table(("no", "desk", "started (UTC)", "outcome", "replayed by", "message"), rows)
    return 0


def run_replay(args: argparse.Namespace, ctx: CliContext) -> int:
    """Replay with the processors this installation registers; 0 if the event is processed."""
    from westgear_desk.sync.inbox import replay
    from westgear_desk.sync.retry import PolicyResolver

    ctx.require_current_schema()
    settings = ctx.settings
    _, registry = _registries(ctx)
    try:
        replay(
            ctx.session_factory,
            registry,
            args.event_id,
            actor=acting_user(args),
            reason=args.reason,
            policies=PolicyResolver.from_settings(settings.retry),
            lease_s=settings.retry.lease_s,
        )
    except (LookupError, ValueError) as exc:
        raise InboxCommandError(str(exc)) from exc
    data = _event_dict(ctx, args.event_id)
    if args.json:
        echo_json(data)
    else:
        last = data["history"][-1]
        echo(f"event {args.event_id} replayed: {last['outcome']} (status {data['status']})")
    return 0 if data["status"] == "processed" else 1


def _registries(ctx: CliContext) -> Any:
    from westgear_desk.sync.flows import FlowEnvironment, standard_schedules
    from westgear_desk.sync.jobs import build_handler_registries

    env = FlowEnvironment(
        settings=ctx.settings,
        schedules=standard_schedules(ctx.settings.schedules),
        session_factory=ctx.session_factory,
    )
    return build_handler_registries(env)


def _event_dict(ctx: CliContext, event_id: int) -> dict[str, Any]:
    from westgear_desk.sync.inbox import get_event

    with ctx.session_factory() as session:
        found = get_event(session, event_id)
    if found is None:
        raise InboxCommandError(f"inbox event {event_id} does not exist")
    summary, history = found
    data = summary.as_dict()
    data["history"] = [attempt.as_dict() for attempt in history]
    return data
