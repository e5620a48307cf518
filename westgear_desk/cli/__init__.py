"""The `westgear-desk` command: the GUI when run bare, and the admin/headless subcommands.

Each subcommand lives in its own module exposing `register(subparsers)`; this module only
assembles them, so adding a command never touches the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from westgear_desk import __version__
from westgear_desk.cli import context
from westgear_desk.errors import KnownError

_COMMAND_MODULES = (
    "westgear_desk.cli.db_commands",
    "westgear_desk.cli.doctor",
    "westgear_desk.cli.gui",
    "westgear_desk.cli.sandbox_command",
    "westgear_desk.cli.jobs",
    "westgear_desk.cli.inbox",
    "westgear_desk.cli.runs",
    "westgear_desk.cli.worker",
    "westgear_desk.cli.sync_commands",
    "westgear_desk.cli.quarantine",
    "westgear_desk.cli.credentials_command",
    "westgear_desk.cli.webhooks_command",
    "westgear_desk.cli.demo",
    "westgear_desk.cli.users",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the full argument parser with every available subcommand registered."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="westgear-desk",
        description="WestGear Desk: back office for orders, freight, quotes and integrations.",
    )
    parser.add_argument("--version", action="version", version=f"westgear-desk {__version__}")
    parser.add_argument(
        "--database-url",
        default=None,
        help="database URL (default: WESTGEAR_DATABASE_URL, settings.toml, or local SQLite)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command is not part of this build yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra_args = extra
    ctx = context.CliContext(
        database_url=getattr(args, "sub_database_url", None) or args.database_url
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        from westgear_desk.cli import gui

        handler = gui.run_gui
    try:
        return int(handler(args, ctx))
    except KnownError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if not isinstance(exc, OperationalError):
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"error: the database is unreachable: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
