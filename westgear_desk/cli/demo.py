"""`westgear-desk demo`: the desk against in-process sandboxes, signed in as an admin."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from westgear_desk.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="try the desk: sandboxes, demo data and live orders, nothing real touched",
        description=(
            "Start every integration sandbox in-process with demo data, a fresh SQLite "
            "database and an in-memory keyring, run the sync engine, and open the main "
            "window signed in as an admin. Nothing outside the demo directory is touched."
        ),
    )
    parser.add_argument("--products", type=int, default=300, help="catalog size (default 300)")
    parser.add_argument(
        "--quit-after", type=float, default=None, metavar="SECONDS", help="close after SECONDS"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="demo directory (default: a temporary one)"
    )
    parser.add_argument("--language", choices=("sv", "en"), default="sv", help="UI language")
    parser.add_argument(
        "--role",
        choices=("admin", "sales", "warehouse"),
        default="admin",
        help="sign in with this role (default admin) to see what each role may do",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    del ctx  # the demo never uses the configured database or settings
    from westgear_desk.db.enums import UserRole
    from westgear_desk.demo import DemoOptions, run_demo

    if not 20 <= args.products <= 20_000:
        raise SystemExit("--products must be between 20 and 20000")
    options = DemoOptions(
        products=args.products,
        directory=args.dir,
        quit_after_s=args.quit_after,
        locale=args.language,
        role=UserRole(args.role),
    )
    return run_demo(options, announce=print)
