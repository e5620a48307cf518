"""`westgear-desk sandbox`: local fake servers of every external system (delegates)."""

from __future__ import annotations

import argparse
from typing import Any

from westgear_desk.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="start local fake Sharespine, Fortnox, Klarna, PostNord, DHL and SMTP servers",
        add_help=False,
    )
    parser.set_defaults(handler=run_sandbox, passthrough=True)


def run_sandbox(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.sandbox.cli import main

    return main(list(args.extra_args))
