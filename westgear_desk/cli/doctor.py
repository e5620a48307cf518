"""`westgear-desk doctor`: check the installation and exit non-zero naming what is wrong."""

from __future__ import annotations

import argparse
import json
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check database, schema, keyring, Qt and directories"
    )
    add_database_url(parser)
    add_json(parser)
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.services.doctor import run_checks

    results = run_checks(ctx.database_url)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False))
    else:
        width = max(len(r.name) for r in results)
        for r in results:
            mark = "ok  " if r.ok else "FAIL"
            print(f"{mark}  {r.name.ljust(width)}  {r.detail}")
    return 0 if all(r.ok for r in results) else 1
