"""`westgear-desk sync catalog|customers|orders`: run a Sharespine sync now, recorded as a run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json

if TYPE_CHECKING:
    from westgear_desk.sync.flows import Flow, FlowEnvironment


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync", help="run a Sharespine sync now (recorded in `runs`)"
    )
    flows = parser.add_subparsers(dest="sync_flow", metavar="FLOW", required=True)
    catalog = flows.add_parser("catalog", help="products changed since the last run")
    catalog.add_argument(
        "--full", action="store_true", help="whole catalog; marks vanished products inactive"
    )
    flows.add_parser("customers", help="customers changed since the last run")
    flows.add_parser("orders", help="new and changed orders")
    for sub in flows.choices.values():
        add_database_url(sub)
        add_json(sub)
        sub.add_argument("--desk-id", default=None, help="desk id recorded on the run")
        sub.set_defaults(handler=run_sync)


def _environment(ctx: CliContext) -> FlowEnvironment:
    from westgear_desk.sync.apicalls import ApiCallSink
    from westgear_desk.sync.flows import FlowEnvironment, standard_schedules

    return FlowEnvironment(
        settings=ctx.settings,
        schedules=standard_schedules(ctx.settings.schedules),
        session_factory=ctx.session_factory,
        call_recorder=ApiCallSink(ctx.session_factory),
    )


def _flow(args: argparse.Namespace, env: FlowEnvironment) -> Flow:
    from westgear_desk.sync.flows import Flow, RunContext
    from westgear_desk.sync.runs import RunCounts
    from westgear_desk.sync.sharespine import CATALOG, FULL_REFRESH, catalog_sync, make_flow

    if args.sync_flow == "catalog":
        return make_flow(env, FULL_REFRESH if args.full else CATALOG)

    def run(ctx: RunContext) -> RunCounts:
        from westgear_desk.sync.sharespine.customers import sync_customers
        from westgear_desk.sync.sharespine.orders import sync_orders

        sync = catalog_sync(env, ctx.call_recorder)
        with sync.client as client:
            if args.sync_flow == "customers":
                owner = str(getattr(env.settings, "b2b_customer_owner", "sharespine"))
                return sync_customers(
                    ctx.session_factory, client, run_id=ctx.run_id, b2b_owner=owner
                )
            return sync_orders(ctx.session_factory, client, run_id=ctx.run_id)

    return Flow(args.sync_flow, env.schedules["customers_orders"], run)


def run_sync(args: argparse.Namespace, ctx: CliContext) -> int:
    """Run the chosen flow under its schedule lock; 0 when it succeeded, 1 otherwise."""
    from westgear_desk.log import configure_logging
    from westgear_desk.paths import log_dir
    from westgear_desk.sync.desk import default_desk_id
    from westgear_desk.sync.locks import locks_for
    from westgear_desk.sync.runs import list_runs
    from westgear_desk.sync.scheduler import FlowRunner, SlotOutcome

    # into the desk's JSON log file, as the desk and the worker do (the terminal gets the
    # outcome below, not the log)
    configure_logging(log_dir(), level="INFO", console=False)
    ctx.require_current_schema()
    env = _environment(ctx)
    flow = _flow(args, env)
    runner = FlowRunner(
        ctx.session_factory,
        locks_for(ctx.engine),
        desk_id=args.desk_id or default_desk_id(ctx.settings.desk_name),
        call_recorder=env.call_recorder,
    )
    try:
        run_id, outcome = runner.run_manual(flow)
    finally:
        close = getattr(env.call_recorder, "close", None)
        if close is not None:
            close()
    if outcome is SlotOutcome.BUSY:
        _out(f"{flow.name}: another run of this flow is going on; try again later")
        return 1
    with ctx.session_factory() as session:
        view = next(v for v in list_runs(session, schedule=flow.name, limit=20) if v.id == run_id)
    if args.json:
        _out(json.dumps(view.to_json(), ensure_ascii=False))
    else:
        _out(f"{flow.name}: run {view.id} {view.status}: {view.counts.summary()}")
        if view.error_summary:
            _out(f"error: {view.error_summary}")
    return 0 if outcome is SlotOutcome.SUCCEEDED else 1


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
