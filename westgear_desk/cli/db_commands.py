"""`westgear-desk migrate`: bring the database schema to the revision this app knows."""

from __future__ import annotations

import argparse
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url
from westgear_desk.errors import ConfigurationError


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate", help="upgrade the database schema to the newest revision"
    )
    add_database_url(parser)
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.migrate import SchemaState, check_schema, ensure_compatible, upgrade
    from westgear_desk.db.session import describe_database

    url = ctx.database_url
    before = check_schema(url)
    if before.state is SchemaState.AHEAD:
        ensure_compatible(url)  # raises: a newer app's schema must not be touched
    if before.state is SchemaState.UNVERSIONED:
        raise ConfigurationError(
            f"{describe_database(url)} har tabeller men ingen schemaversion; rör den inte. / "
            "has tables but no schema revision (not a WestGear Desk database?); not touching it."
        )
    upgrade(url, args.revision)
    after = check_schema(url)
    print(f"{describe_database(url)}: {before.current or 'empty'} -> {after.current}")
    return 0
