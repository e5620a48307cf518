"""Options shared by several subcommands."""

from __future__ import annotations

import argparse


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """Let `westgear-desk <command> --database-url URL` work as well as the global option."""
    parser.add_argument(
        "--database-url",
        dest="sub_database_url",
        default=None,
        help="database URL for this command (overrides settings and WESTGEAR_DATABASE_URL)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    """Add `--json` for machine-readable output."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
