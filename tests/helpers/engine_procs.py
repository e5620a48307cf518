"""Entry points the engine tests run as separate processes (`python -m tests.helpers.engine_procs`).

Each command builds its own engine from a URL, so a test can start several real worker
processes, kill one with SIGKILL, or cut their database connections. The test-only tables
(`test_effects` with a unique key, `test_runs` with one row per handler execution) are created
by `create_effect_tables` in the test database, never in the schema.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.session import create_engine_for, make_session_factory
from westgear_desk.sync.inbox import InboxContext, InboxProcessor, InboxRegistry, record
from westgear_desk.sync.job_worker import JobWorker
from westgear_desk.sync.jobs import JobContext, JobRegistry
from westgear_desk.sync.retry import PolicyResolver, RetryPolicy

EFFECT_KIND = "test.effect"
BLOCK_KIND = "test.block"
FAST_POLICY = RetryPolicy(schedule_s=(0, 0.1, 0.2, 0.5, 1, 1, 1, 1), jitter=0.1)
WORKER_APP = "wgtest-worker"


def create_effect_tables(engine: Engine) -> None:
    """Create the test-only effect tables (a unique key per effect, one row per execution)."""
    serial = "BIGSERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE test_effects (key VARCHAR(200) PRIMARY KEY, job_id BIGINT, pid INTEGER)"
        )
        connection.exec_driver_sql(
            f"CREATE TABLE test_runs (id {serial} PRIMARY KEY, key VARCHAR(200), pid INTEGER)"
        )


def _log_run(session: Session, key: str) -> None:
    session.execute(
        text("INSERT INTO test_runs (key, pid) VALUES (:key, :pid)"),
        {"key": key, "pid": os.getpid()},
    )


def strict_effect(context: JobContext) -> None:
    """Write the job's effect with a plain INSERT: a second execution would violate the key."""
    with context.session_factory.begin() as session:
        _log_run(session, context.idempotency_key)
        session.execute(
            text("INSERT INTO test_effects (key, job_id, pid) VALUES (:key, :job, :pid)"),
            {"key": context.idempotency_key, "job": context.job_id, "pid": os.getpid()},
        )


def idempotent_effect(context: JobContext) -> None:
    """Write the job's effect keyed by its idempotency key, as a provider would dedupe it."""
    with context.session_factory.begin() as session:
        _log_run(session, context.idempotency_key)
        session.execute(
            text(
                "INSERT INTO test_effects (key, job_id, pid) VALUES (:key, :job, :pid) "
                "ON CONFLICT (key) DO NOTHING"
            ),
            {"key": context.idempotency_key, "job": context.job_id, "pid": os.getpid()},
        )


def blocking_effect(marker: Path) -> Any:
    """A handler that writes its effect, says so through `marker`, then hangs forever."""

    def handler(context: JobContext) -> None:
        idempotent_effect(context)
        marker.write_text(str(os.getpid()))
        while True:
            time.sleep(0.05)

    return handler


def effect_processor(context: InboxContext) -> None:
    """An inbox processor whose effect is keyed by the event's dedupe key."""
    payload = context.json()
    with context.session_factory.begin() as session:
        _log_run(session, context.dedupe_key)
        session.execute(
            text(
                "INSERT INTO test_effects (key, job_id, pid) VALUES (:key, :event, :pid) "
                "ON CONFLICT (key) DO NOTHING"
            ),
            {"key": f"event:{payload['id']}", "event": context.event_id, "pid": os.getpid()},
        )


def register_jobs(jobs: JobRegistry, env: object) -> None:
    """Engine-module hook: the job the command-line tests retry."""
    del env
    jobs.register(EFFECT_KIND, idempotent_effect)


def register_inbox(inbox: InboxRegistry, env: object) -> None:
    """Engine-module hook: the processor the command-line tests replay."""
    del env
    inbox.register("sharespine", "stock.changed", effect_processor)


def _factory(url: str) -> sessionmaker[Session]:
    return make_session_factory(create_engine_for(url, application_name=WORKER_APP))


def _wait_for(path: Path | None) -> None:
    while path is not None and not path.exists():
        time.sleep(0.01)


def _unfinished(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(
            session.execute(
                text("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')")
            ).scalar_one()
        )


def drain(args: argparse.Namespace) -> None:
    """Run a job worker until no job is pending or running (or the deadline passes)."""
    factory = _factory(args.url)
    registry = JobRegistry()
    registry.register(EFFECT_KIND, idempotent_effect if args.idempotent else strict_effect)
    worker = JobWorker(
        factory,
        registry,
        desk_id=args.desk,
        lease_s=args.lease,
        policies=PolicyResolver(default=FAST_POLICY),
    )
    _wait_for(args.go)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        worker.reclaim_expired()
        if worker.run_once(50) > 0:
            continue
        if _unfinished_safely(factory) == 0:
            return
        time.sleep(0.05)  # the last jobs are in other workers' hands
    sys.exit(3)


def _unfinished_safely(factory: sessionmaker[Session]) -> int:
    try:
        return _unfinished(factory)
    except Exception:  # a terminated connection: ask again on the next round
        return -1


def block(args: argparse.Namespace) -> None:
    """Run one worker whose handler hangs after writing its effect (the test kills it)."""
    factory = _factory(args.url)
    registry = JobRegistry()
    registry.register(BLOCK_KIND, blocking_effect(Path(args.marker)))
    worker = JobWorker(
        factory,
        registry,
        desk_id=args.desk,
        lease_s=args.lease,
        policies=PolicyResolver(default=FAST_POLICY),
    )
    while True:
        worker.run_once(1)
        time.sleep(0.02)


def rescue(args: argparse.Namespace) -> None:
    """Reclaim expired leases and run BLOCK_KIND jobs normally until none is unfinished."""
    factory = _factory(args.url)
    registry = JobRegistry()
    registry.register(BLOCK_KIND, idempotent_effect)
    worker = JobWorker(
        factory,
        registry,
        desk_id=args.desk,
        lease_s=args.lease,
        policies=PolicyResolver(default=FAST_POLICY),
    )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        worker.reclaim_expired()
        worker.run_once(10)
        if _unfinished(factory) == 0:
            return
        time.sleep(0.05)
    sys.exit(3)


def webhooks(args: argparse.Namespace) -> None:
    """Record the same webhook `times` times; print how many were new (not duplicates)."""
    factory = _factory(args.url)
    _wait_for(args.go)
    body = args.body.encode()
    new = sum(
        not record(
            factory,
            "sharespine",
            args.key,
            {"Content-Type": "application/json"},
            body,
            True,
            event_type="stock.changed",
        ).duplicate
        for _ in range(args.times)
    )
    sys.stdout.write(f"{new}\n")


def process_inbox(args: argparse.Namespace) -> None:
    """Process due inbox events until none is left; print how many this process handled."""
    factory = _factory(args.url)
    registry = InboxRegistry()
    registry.register("sharespine", "stock.changed", effect_processor)
    processor = InboxProcessor(
        factory, registry, desk_id=args.desk, policies=PolicyResolver(default=FAST_POLICY)
    )
    _wait_for(args.go)
    total = 0
    while (done := processor.run_once(50)) > 0:
        total += done
    sys.stdout.write(f"{total}\n")


def start(command: str, url: str, *options: str) -> subprocess.Popen[str]:
    """Start `command` in a new Python process (the repository root as working directory)."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.engine_procs", command, "--url", url, *options],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="engine_procs")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--desk", default=f"proc-{os.getpid()}")
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--go", type=Path, default=None, help="start once this file exists")
    parser.add_argument("--marker", default=None)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--key", default=None)
    parser.add_argument("--body", default="{}")
    return parser


COMMANDS = {
    "drain": drain,
    "block": block,
    "rescue": rescue,
    "webhooks": webhooks,
    "process-inbox": process_inbox,
}


if __name__ == "__main__":
    arguments = _parser().parse_args()
    COMMANDS[arguments.command](arguments)
