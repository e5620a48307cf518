"""A desk in its own process for scheduler tests: one flow that marks its start and end.

Run as ``python -m tests.helpers.scheduler_procs --url URL --schedule NAME ...`` (the tests
use `spawn_desk`). The flow writes a row to ``flow_marks`` when it starts and finishes, from
its own transactions, so tests can check what really ran, independent of ``sync_runs``.
The process stops cleanly on SIGTERM (exit 0) and by itself after ``--max-life`` seconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from westgear_desk.sync.flows import (
    Flow,
    FlowEnvironment,
    FlowRegistry,
    IntervalSchedule,
    RunContext,
)
from westgear_desk.sync.jobs import JobContext, JobRegistry
from westgear_desk.sync.runs import RunCounts

REPO_ROOT = Path(__file__).resolve().parents[2]


def create_marks_table(url: str) -> None:
    """Create ``flow_marks`` (idempotent) in the database at `url`."""
    engine = create_engine(url, poolclass=NullPool)
    ident = (
        "id BIGSERIAL PRIMARY KEY"
        if engine.dialect.name == "postgresql"
        else "id INTEGER PRIMARY KEY AUTOINCREMENT"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS flow_marks ({ident}, schedule VARCHAR(64), "
            "run_id INTEGER, slot_at VARCHAR(64), desk VARCHAR(64), "
            "started DOUBLE PRECISION, finished DOUBLE PRECISION, beats INTEGER DEFAULT 0)"
        )
    engine.dispose()


@dataclass(frozen=True)
class Mark:
    run_id: int
    slot_at: str
    desk: str
    started: float
    finished: float | None


def read_marks(url: str, schedule: str) -> list[Mark]:
    """Return the flow's marks for `schedule` in start order."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT run_id, slot_at, desk, started, finished FROM flow_marks "
                "WHERE schedule = :s ORDER BY started"
            ),
            {"s": schedule},
        ).all()
    engine.dispose()
    return [Mark(int(r[0]), r[1], r[2], float(r[3]), r[4]) for r in rows]


def spawn_desk(
    url: str,
    *,
    desk: str,
    schedule: str,
    interval: float,
    flow_seconds: float,
    log_dir: Path,
    mode: str = "sleep",
    max_life: float = 120.0,
) -> subprocess.Popen[bytes]:
    """Start a desk process; its output goes to ``log_dir/<desk>.log``."""
    log = (log_dir / f"{desk}.log").open("wb")
    command = [
        sys.executable, "-m", "tests.helpers.scheduler_procs", "--url", url, "--desk", desk,
        "--schedule", schedule, "--interval", str(interval), "--flow-seconds", str(flow_seconds),
        "--mode", mode, "--max-life", str(max_life),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop_desk(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM the desk and return its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` until truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _flow(engine: Engine, seconds: float, mode: str) -> Callable[[RunContext], RunCounts]:
    def run(ctx: RunContext) -> RunCounts:
        run_id = ctx.run_id
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO flow_marks (schedule, run_id, slot_at, desk, started) "
                    "VALUES (:s, :r, :slot, :d, :t)"
                ),
                {
                    "s": ctx.schedule,
                    "r": run_id,
                    "slot": ctx.slot_at.isoformat(),
                    "d": ctx.desk_id,
                    "t": time.time(),
                },
            )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if mode == "dbwork":
                with engine.begin() as conn:
                    conn.execute(
                        text("UPDATE flow_marks SET beats = beats + 1 WHERE run_id = :r"),
                        {"r": run_id},
                    )
            time.sleep(0.05)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE flow_marks SET finished = :t WHERE run_id = :r"),
                {"t": time.time(), "r": run_id},
            )
        return RunCounts(fetched=1, written=1)

    return run


# --- this module is also an engine module, for `Desk.for_settings(..., modules=[__name__])` ---

BLOCKING_JOB_KIND = "test.block"
job_started = threading.Event()
jobs_handled: list[int] = []
flow_runs: list[int] = []


def register_jobs(registry: JobRegistry, env: FlowEnvironment) -> None:
    """Engine hook: a job handler that takes half a second."""
    del env

    def block(ctx: JobContext) -> None:
        job_started.set()
        time.sleep(0.5)
        jobs_handled.append(ctx.job_id)

    registry.register(BLOCKING_JOB_KIND, block)


def register_flows(registry: FlowRegistry, env: FlowEnvironment) -> None:
    """Engine hook: a flow every half second that only counts its runs."""
    del env

    def count(ctx: RunContext) -> RunCounts:
        flow_runs.append(ctx.run_id)
        return RunCounts(unchanged=1)

    registry.register(Flow("test_counter", IntervalSchedule(0.5), count))


def main(argv: Sequence[str] | None = None) -> int:
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.settings import ScheduleSettings
    from westgear_desk.sync.desk import Desk

    parser = argparse.ArgumentParser()
    for name in ("--url", "--desk", "--schedule", "--mode"):
        parser.add_argument(name, required=name != "--mode", default="sleep")
    for name in ("--interval", "--flow-seconds", "--max-life"):
        parser.add_argument(name, type=float, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)

    engine = create_engine_for(args.url)
    factory = make_session_factory(engine)
    flow = Flow(
        args.schedule, IntervalSchedule(args.interval), _flow(engine, args.flow_seconds, args.mode)
    )
    desk = Desk(factory, ScheduleSettings(misfire_grace_s=30), flows=[flow], desk_id=args.desk)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    desk.start()
    sys.stdout.write(f"desk {args.desk} pid {os.getpid()} started\n")
    sys.stdout.flush()
    stop.wait(args.max_life)
    clean = desk.stop(30)
    engine.dispose()
    sys.stdout.write(f"desk {args.desk} stopped clean={clean}\n")
    return 0 if clean else 3


if __name__ == "__main__":
    sys.exit(main())
