"""The bare `westgear-desk` command: start the desk's main window."""

from __future__ import annotations

import argparse
from typing import Any

from westgear_desk.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("gui", help="open the main window")
    parser.set_defaults(handler=run_gui)


def run_gui(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.app import run_desktop

    return run_desktop(ctx.settings)
