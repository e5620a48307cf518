"""`westgear-desk migrate`: bring the database schema to the revision this app knows."""

from __future__ import annotations

import argparse
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate", help="upgrade the database schema to the newest revision"
    )
    add_database_url(parser)
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.migrate import check_schema, upgrade
    from westgear_desk.db.session import describe_database

    url = ctx.database_url
    before = check_schema(url)
    if before.state == "ahead":
        # Refuse: this app does not know the newer schema and must not touch it.
        from westgear_desk.db.migrate import ensure_compatible

        ensure_compatible(url)
    upgrade(url, args.revision)
    after = check_schema(url)
    print(f"{describe_database(url)}: {before.current or 'empty'} -> {after.current}")
    return 0
