"""`westgear-desk users`: who may sign in to the desk, and with which role (audited)."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url, add_json

ROLES = ("warehouse", "sales", "admin")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "users", help="list desk users, add one, change a role, disable or enable sign-in"
    )
    add_database_url(parser)
    commands = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="every user with role and state")
    add_json(listing)
    add = commands.add_parser("add", help="add a user (their OS user name)")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--display-name", default=None)
    role = commands.add_parser("role", help="give a user another role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    for name, text in (("disable", "stop a user signing in"), ("enable", "let them again")):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
    parser.set_defaults(handler=run_users)


def run_users(args: argparse.Namespace, ctx: CliContext) -> int:
    from westgear_desk.db.enums import UserRole
    from westgear_desk.db.session import unit_of_work
    from westgear_desk.services import auth

    ctx.require_current_schema()
    actor = getpass.getuser()
    with unit_of_work(ctx.session_factory) as session:
        if args.users_command == "list":
            users = auth.list_users(session)
            if args.json:
                print(json.dumps([_json(u) for u in users], ensure_ascii=False))
            for user in [] if args.json else users:
                state = "" if user.active else "  (disabled)"
                print(f"{user.username:20} {user.role.value:10} {user.display_name}{state}")
            return 0
        if args.users_command == "add":
            added = auth.add_user(
                session, args.username, UserRole(args.role), args.display_name, actor=actor
            )
            print(f"added {added.username} ({added.role.value})")
        elif args.users_command == "role":
            changed = auth.set_role(session, args.username, UserRole(args.role), actor=actor)
            print(f"{changed.username} is now {changed.role.value}")
        else:
            auth.set_active(session, args.username, args.users_command == "enable", actor=actor)
            print(f"{args.username} {args.users_command}d")
    return 0


def _json(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "active": user.active,
    }
