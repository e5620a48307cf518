"""`westgear-desk credentials`: store, remove and list secrets in the OS keyring.

Values are read from a hidden prompt (or standard input with `--stdin`), never from the command
line, so they do not land in shell history or process listings; `status` shows only set/not set.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_json


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "credentials", help="manage secrets in the OS keyring"
    )
    actions = parser.add_subparsers(dest="credentials_action", required=True)
    set_parser = actions.add_parser("set", help="store a secret (asked for, never an argument)")
    set_parser.add_argument("name", help="e.g. fortnox.client_secret")
    set_parser.add_argument("--stdin", action="store_true", help="read the value from stdin")
    set_parser.set_defaults(handler=run_set)
    delete_parser = actions.add_parser("delete", help="remove a secret")
    delete_parser.add_argument("name")
    delete_parser.set_defaults(handler=run_delete)
    status_parser = actions.add_parser("status", help="which known secrets are set")
    add_json(status_parser)
    status_parser.set_defaults(handler=run_status)


def _check_known(name: str) -> None:
    from westgear_desk.credentials import KNOWN_CREDENTIALS
    from westgear_desk.errors import ConfigurationError

    if name not in KNOWN_CREDENTIALS:
        known = ", ".join(sorted(KNOWN_CREDENTIALS))
        raise ConfigurationError(f"unknown credential {name!r}; known: {known}")


def run_set(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.credentials import CredentialStore

    _check_known(args.name)
    value = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass(f"{args.name}: ")
    if not value:
        print("error: empty value; nothing stored", file=sys.stderr)
        return 2
    CredentialStore().set(args.name, value)
    print(f"{args.name}: stored")
    return 0


def run_delete(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.credentials import CredentialStore

    _check_known(args.name)
    CredentialStore().delete(args.name)
    print(f"{args.name}: deleted")
    return 0


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.credentials import KNOWN_CREDENTIALS, CredentialStore

    store = CredentialStore()
    rows = {name: store.is_set(name) for name in sorted(KNOWN_CREDENTIALS)}
    if args.json:
        print(json.dumps({"backend": store.backend_name(), "credentials": rows}))
    else:
        print(f"keyring backend: {store.backend_name()}")
        for name, is_set in rows.items():
            print(f"  {'set    ' if is_set else 'not set'}  {name}")
    return 0
