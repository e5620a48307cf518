"""Webhook intake: our receiver (verify + durable inbox write) against a bare HMAC-only app.

Both apps are served the same way: one uvicorn process with httptools and uvloop. wrk (with
a Lua script cycling through pre-signed, distinct Sharespine notifications, so nothing is a
duplicate) loads each for ``--duration`` seconds over ``--connections`` keep-alive
connections. The receiver writes to a PostgreSQL database this script creates, migrates and
drops itself; afterwards the stored events are counted, so every 200 is checked to be a row.

    .venv/bin/python benchmarks/webhooks.py --duration 10

Needs `wrk` (Debian package "wrk"). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "benchmark-webhook-secret"
PATH = "/webhooks/sharespine"


# --- the two servers (run as `--serve baseline|receiver` in a child process) ------------


def baseline_app() -> Any:
    """A bare Starlette app doing only what a receiver cannot skip: read and verify."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    key = SECRET.encode()

    async def receive(request: Request) -> Response:
        body = await request.body()
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        given = request.headers.get("x-sharespine-signature", "")
        if not hmac.compare_digest(expected, given):
            return JSONResponse({"error": "invalid signature"}, 401)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"])])


def receiver_app(database_url: str, *, group_commit: bool) -> Any:
    """The production receiver over the benchmark database."""
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.webhooks.app import ReceiverConfig, build_app
    from westgear_desk.webhooks.secrets import lookup

    factory = make_session_factory(create_engine_for(database_url))
    config = ReceiverConfig(factory, lookup({"sharespine": SECRET}), group_commit=group_commit)
    return build_app(config)


def serve(kind: str, port: int, database_url: str) -> None:
    import logging

    import uvicorn

    from westgear_desk.cli.webhooks_command import event_loop_name

    logging.basicConfig(level=logging.ERROR)
    if kind == "baseline":
        app = baseline_app()
    else:
        app = receiver_app(database_url, group_commit=kind == "receiver")
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop=event_loop_name(),
        access_log=False,
        log_level="error",
    )


# --- load ------------------------------------------------------------------------------


def lua_script(directory: Path, bodies: int, threads: int) -> Path:
    """A wrk script: each thread cycles through its own slice of distinct signed bodies."""
    data = directory / "bodies.lua"
    with data.open("w") as out:  # chunks of 5,000: Lua caps the constants of one function
        out.write("local all = {}\n")
        for n in range(bodies):
            if n % 5000 == 0:
                if n:
                    out.write(f"end\nchunk{n // 5000 - 1}()\n")
                out.write(f"local function chunk{n // 5000}()\n")
            body = json.dumps(
                {
                    "eventId": f"bench-{secrets.token_hex(8)}-{n}",
                    "recordType": "product",
                    "localId": f"{n:032x}",
                    "remoteId": f"art-{100000 + n % 50000}",
                    "changes": ["stock"],
                    "lastModified": "2026-01-01T12:00:00Z",
                },
                separators=(",", ":"),
            )
            signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
            out.write(f"all[#all + 1] = {{{json.dumps(body)}, {json.dumps(signature)}}}\n")
        out.write(f"end\nchunk{(bodies - 1) // 5000}()\nreturn all\n")
    script = directory / "load.lua"
    script.write_text(
        f"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local all = dofile("{data}")
  local per = math.floor(#all / {threads})
  local first = tid * per
  requests = {{}}
  for i = 1, per do
    local item = all[first + i]
    requests[i] = wrk.format("POST", "{PATH}", {{
      ["Content-Type"] = "application/json",
      ["X-Sharespine-Signature"] = item[2],
    }}, item[1])
  end
  n = 0
end
function request()
  n = n + 1
  if n > #requests then n = 1 end
  return requests[n]
end
"""
    )
    return script


def run_wrk(url: str, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--latency", "-s", str(script), url + PATH,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    output = done.stdout
    req_s = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "req_s": req_s,
        "requests": total,
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", database_url],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


def measure(kind: str, database_url: str, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    process, url = start_server(kind, database_url)
    try:
        return run_wrk(url, script, args)
    finally:
        process.terminate()
        process.wait(timeout=20)


# --- database --------------------------------------------------------------------------


def create_database(admin_url: str) -> tuple[str, str]:
    from westgear_desk.db.migrate import upgrade

    name = f"wgbench_webhooks_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


def truncate_inbox(url: str) -> None:
    engine = create_engine(make_url(url), poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE inbox_events CASCADE")
    engine.dispose()


def stored_events(url: str) -> int:
    engine = create_engine(make_url(url), poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM inbox_events")).scalar_one()
    engine.dispose()
    return int(count)


# --- main ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("WESTGEAR_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bodies", type=int, default=120_000, help="distinct signed bodies")
    parser.add_argument("--quick", action="store_true", help="3 s per run, 30,000 bodies")
    parser.add_argument(
        "--serve", choices=["baseline", "receiver", "per-request"], help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    return parser.parse_args()


def line(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label:<34} {figures['req_s']:>8.0f} req/s  p50 {figures['p50_ms']:6.2f} ms  "
        f"p99 {figures['p99_ms']:7.2f} ms"
    )


def run_all(url: str, script: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Baseline, then the receiver per request, then with group commit (inbox emptied between)."""
    figures = {"baseline": measure("baseline", url, script, args)}
    print(line("baseline (HMAC check only)", figures["baseline"]), flush=True)
    labels = {
        "per-request": "receiver, one commit per request",
        "receiver": "receiver, group commit (default)",
    }
    for kind, label in labels.items():
        truncate_inbox(url)
        result = measure(kind, url, script, args)
        result["stored"] = stored_events(url)
        figures[kind] = result
        print(line(label, result), flush=True)
        summary = (
            f"  events stored {result['stored']}, requests answered {result['requests']}, "
            f"non-2xx {result['non_2xx']} {result['socket_errors']}"
        )
        print(summary.rstrip(), flush=True)
    return figures


def main() -> None:
    args = parse_args()
    if args.quick:
        args.duration, args.bodies = 3, 30_000
    if args.serve:
        serve(args.serve, args.port, args.db)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    name, url = create_database(args.admin_url)
    workdir = Path(tempfile.mkdtemp(prefix="wg-bench-webhooks-"))
    try:
        figures = run_all(url, lua_script(workdir, args.bodies, args.threads), args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        drop_database(args.admin_url, name)
    base, single, grouped = figures["baseline"], figures["per-request"], figures["receiver"]
    result = {
        "connections": args.connections,
        "duration_s": args.duration,
        "baseline_req_s": round(base["req_s"], 1),
        "baseline_p99_ms": base["p99_ms"],
        "per_request_req_s": round(single["req_s"], 1),
        "per_request_p99_ms": single["p99_ms"],
        "receiver_req_s": round(grouped["req_s"], 1),
        "receiver_p50_ms": grouped["p50_ms"],
        "receiver_p99_ms": grouped["p99_ms"],
        "receiver_vs_baseline": round(grouped["req_s"] / base["req_s"], 3),
        "group_commit_speedup": round(grouped["req_s"] / single["req_s"], 2),
        "events_stored": grouped["stored"],
        "requests": grouped["requests"],
        "non_2xx": grouped["non_2xx"] + single["non_2xx"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
