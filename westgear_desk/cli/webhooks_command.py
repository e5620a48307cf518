"""`westgear-desk serve-webhooks`: the headless webhook receiver beside the shared database.

Served by uvicorn with httptools and uvloop (where installed): on the same two cores the
plain asyncio/h11 stack takes about a third of the requests (docs: MEASURED.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url

_log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve-webhooks",
        help="receive signed webhooks (Sharespine, Klarna) into the inbox until stopped",
    )
    add_database_url(parser)
    parser.add_argument("--host", default=None, help="address to bind (default from settings)")
    parser.add_argument("--port", type=int, default=None, help="port (default from settings)")
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        help="largest body accepted; larger ones get 413 unread (default 1 MiB)",
    )
    parser.add_argument("--log-level", default="INFO", help="log level (default INFO)")
    parser.set_defaults(handler=run_serve_webhooks)


def event_loop_name() -> str:
    """`uvloop` when installed (not on Windows), else the standard asyncio loop."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def run_serve_webhooks(args: argparse.Namespace, ctx: CliContext) -> int:
    """Check the schema, load the signing secrets, then serve until SIGINT/SIGTERM."""
    import uvicorn

    from westgear_desk.credentials import CredentialStore
    from westgear_desk.log import configure_logging
    from westgear_desk.webhooks.app import ReceiverConfig, build_app
    from westgear_desk.webhooks.body import DEFAULT_MAX_BODY_BYTES
    from westgear_desk.webhooks.secrets import load_secrets, lookup
    from westgear_desk.webhooks.sources import SECRET_CREDENTIALS

    configure_logging(level=args.log_level.upper())
    ctx.require_current_schema()
    secrets = load_secrets(CredentialStore())
    for source, credential in SECRET_CREDENTIALS.items():
        if source not in secrets:
            _log.warning("no %s: %s webhooks will be refused with 503", credential, source)
    settings = ctx.settings.integrations.webhooks
    config = ReceiverConfig(
        ctx.session_factory,
        lookup(secrets),
        max_body_bytes=args.max_body_bytes or DEFAULT_MAX_BODY_BYTES,
    )
    uvicorn.run(
        build_app(config),
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        http="httptools",
        loop=event_loop_name(),
        access_log=False,
        log_config=None,  # keep our redacting handlers
        timeout_graceful_shutdown=10,
    )
    return 0
