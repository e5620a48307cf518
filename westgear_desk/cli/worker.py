"""`westgear-desk worker`: a headless desk (scheduler and workers, no window) for servers and CI."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType
from typing import Any

from westgear_desk.cli.context import CliContext
from westgear_desk.cli.options import add_database_url

_log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "worker",
        help="run the scheduler, job worker and inbox processor headless until SIGTERM/SIGINT",
    )
    add_database_url(parser)
    parser.add_argument("--desk-id", default=None, help="name of this desk (default host:pid)")
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=30.0,
        help="seconds to let running work finish on shutdown (default 30)",
    )
    parser.add_argument("--log-level", default="INFO", help="log level (default INFO)")
    parser.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace, ctx: CliContext) -> int:
    """Run until SIGTERM or SIGINT, then stop cleanly; 0 when all work finished in time."""
    from westgear_desk.log import configure_logging
    from westgear_desk.paths import log_dir
    from westgear_desk.sync.desk import Desk

    log_file = configure_logging(log_dir(), level=args.log_level.upper())
    # APScheduler reports every firing at INFO; with ticks every few seconds that drowns the log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    ctx.require_current_schema()
    desk = Desk.for_settings(ctx.settings, ctx.session_factory, desk_id=args.desk_id)
    stop = _install_stop_signals()
    desk.start()
    _log.info("worker %s running; log file %s", desk.desk_id, log_file)
    while not stop.wait(1.0):
        pass
    _log.info("worker %s stopping", desk.desk_id)
    clean = desk.stop(args.stop_timeout)
    if not clean:
        _log.warning("work still running after %.0f s; leases will expire", args.stop_timeout)
    return 0


def _install_stop_signals() -> threading.Event:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop
