"""`westgear-desk sandbox`: every sandbox on loopback, one JSON line out, serve until stopped."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from westgear_desk.sandbox.cluster import ALL_SYSTEMS, SMTP, SandboxCluster
from westgear_desk.sandbox.common import FaultSettings, SandboxConfig

PROFILES: dict[str, dict[str, object]] = {
    "none": {},
    "flaky": {"error_rate": 0.05, "rate_limit_rate": 0.02, "latency_ms": 50},
    "slow": {"latency_ms": 500},
    "chaos": {
        "latency_ms": 150,
        "error_rate": 0.10,
        "rate_limit_rate": 0.05,
        "timeout_rate": 0.01,
        "drop_rate": 0.03,
        "malformed_rate": 0.03,
        "drift": "new_field",
        "webhook_duplicates": 1,
        "webhook_out_of_order": True,
    },
    "drift": {"drift": "new_field"},
}


def fault_profile(name: str, seed: int = 0) -> FaultSettings:
    """The FaultSettings of a named profile (see PROFILES). Raises KeyError for unknown names."""
    return FaultSettings.model_validate({**PROFILES[name], "seed": seed})


def _systems(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in (*ALL_SYSTEMS, SMTP)]
    if unknown or not names:
        known = ", ".join((*ALL_SYSTEMS, SMTP))
        raise argparse.ArgumentTypeError(f"unknown system(s) {unknown}; choose from {known}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the sandbox command."""
    parser = argparse.ArgumentParser(
        prog="westgear-desk sandbox",
        description="Start fake Sharespine, Fortnox, Klarna, PostNord, DHL and SMTP servers on "
        "127.0.0.1 with free ports; print one JSON line (URL and credentials per system); "
        "serve until interrupted.",
    )
    parser.add_argument(
        "--systems",
        type=_systems,
        default=[*ALL_SYSTEMS, SMTP],
        help="comma-separated subset of: " + ",".join((*ALL_SYSTEMS, SMTP)) + " (default: all)",
    )
    parser.add_argument("--seed", type=int, default=42, help="data generator seed (default 42)")
    parser.add_argument("--products", type=int, default=300, help="catalog size (default 300)")
    parser.add_argument(
        "--faults", choices=sorted(PROFILES), default="none", help="fault profile (default none)"
    )
    parser.add_argument("--webhook-url", help="where Klarna/Sharespine callbacks are posted")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox command; returns the process exit code (0 after a clean stop)."""
    args = build_parser().parse_args(argv)
    config = SandboxConfig(
        seed=args.seed,
        products=args.products,
        faults=fault_profile(args.faults, args.seed),
        webhook_url=args.webhook_url,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    cluster = SandboxCluster(config, args.systems, smtp=SMTP in args.systems)
    try:
        cluster.start()
        sys.stdout.write(json.dumps(cluster.describe()) + "\n")
        sys.stdout.flush()
        while not stop.wait(1.0):
            pass
    except LookupError as exc:
        sys.stderr.write(f"westgear-desk sandbox: {exc}\n")
        return 2
    finally:
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
