"""Outbox throughput: the engine's job worker against a bare SKIP LOCKED loop, and inbox intake.

Runs on a database it creates and drops itself. For 1, 2 and 4 worker PROCESSES it drains
``--jobs`` trivial jobs twice: once with a bare psycopg loop (claim one job with
``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)``, then mark it done,
autocommit per statement) and once with `JobWorker` (batch claim, lease, guarded finish,
attempt history). Then 4 writer processes store ``--events`` distinct webhooks, each round
on an emptied table: through `inbox.record`, and as the baseline a bare prepared psycopg
``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of the same row into the real
``inbox_events`` (and, for context, into a copy with only its 2 essential indexes). The last
line printed is one JSON object with the figures.

    .venv/bin/python benchmarks/jobs.py --jobs 5000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORKER_COUNTS = (1, 2, 4)

BASELINE_DDL = """
CREATE TABLE bench_jobs (
    id BIGSERIAL PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending',
    run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_by TEXT,
    payload JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX bench_jobs_due ON bench_jobs (run_at) WHERE status = 'pending';
-- inbox_events' columns, defaults and checks, but only its 2 essential indexes
CREATE TABLE bench_inbox (
    LIKE inbox_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY,
    PRIMARY KEY (id),
    UNIQUE (source, dedupe_key)
);
"""
BASELINE_CLAIM = (
    "UPDATE bench_jobs SET status = 'running', locked_by = %s WHERE id = ("
    "SELECT id FROM bench_jobs WHERE status = 'pending' AND run_at <= now() "
    "ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, payload"
)
BASELINE_DONE = "UPDATE bench_jobs SET status = 'done', locked_by = NULL WHERE id = %s"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- processes (module level so 'spawn' can import them) --------------------------------


def baseline_worker(url: str, name: str, ready: Any, go: Any, out: Any) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        ready.set()
        go.wait()
        done = 0
        while True:
            row = connection.execute(BASELINE_CLAIM, (name,)).fetchone()
            if row is None:
                break
            connection.execute(BASELINE_DONE, (row[0],))
            done += 1
    out.put(done)


def engine_worker(url: str, name: str, ready: Any, go: Any, out: Any) -> None:
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.sync.job_worker import JobWorker
    from westgear_desk.sync.jobs import JobRegistry
    from westgear_desk.sync.retry import PolicyResolver

    engine = create_engine_for(url)
    registry = JobRegistry()
    registry.register("bench.noop", lambda context: None)
    worker = JobWorker(
        make_session_factory(engine), registry, desk_id=name, policies=PolicyResolver()
    )
    with engine.connect() as connection:  # warm the pool before the clock starts
        connection.exec_driver_sql("SELECT 1")
    ready.set()
    go.wait()
    done = 0
    while (ran := worker.run_once(50)) > 0:
        done += ran
    engine.dispose()
    out.put(done)


BODY = b'{"sku": "LJ-100", "stock": 12}'
HEADERS = {"Content-Type": "application/json", "X-Signature": "t=1,v1=abc"}


def inbox_writer(url: str, name: str, ready: Any, go: Any, out: Any, count: int) -> None:
    """The engine: `inbox.record` per event (validation, dedupe key, header cleaning, write)."""
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.sync.inbox import record

    engine = create_engine_for(url)
    factory = make_session_factory(engine)
    record(factory, "bench", f"{name}-warm", HEADERS, BODY, True, event_type="warm")
    ready.set()
    go.wait()
    for n in range(count):
        record(factory, "sharespine", f"{name}-{n}", HEADERS, BODY, True, event_type="stock")
    engine.dispose()
    out.put(count)


BARE_INBOX_SQL = """
INSERT INTO {table} (source, event_type, dedupe_key, headers, raw_body, signature_ok,
    correlation_id, status, attempts)
VALUES ('sharespine', 'stock', %s, %s, %s, true, %s, 'received', 0)
ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id
"""


def bare_inbox_writer(
    url: str, name: str, ready: Any, go: Any, out: Any, count: int, table: str
) -> None:
    """What the server allows: one autocommit INSERT … ON CONFLICT DO NOTHING per event.

    The same row as `record` stores (cleaned headers as jsonb, a correlation id), written
    into `table`: the real `inbox_events` (same indexes) or `bench_inbox` (2 indexes).
    """
    from psycopg.types.json import Jsonb

    sql = BARE_INBOX_SQL.format(table=table)
    headers = Jsonb({"content-type": "application/json", "x-signature": "[secret]"})
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        ready.set()
        go.wait()
        for n in range(count):
            key, cid = f"{name}-{n}", secrets.token_hex(8)
            connection.execute(sql, (key, headers, BODY, cid), prepare=True).fetchone()
    out.put(count)


# --- orchestration --------------------------------------------------------------------


def run_processes(target: Callable[..., None], url: str, workers: int, *extra: Any) -> float:
    """Start `workers` processes, release them together, return the wall time until all end."""
    context = mp.get_context("spawn")
    go = context.Event()
    out = context.Queue()
    readies, procs = [], []
    for n in range(workers):
        ready = context.Event()
        proc = context.Process(target=target, args=(url, f"w{n}", ready, go, out, *extra))
        proc.start()
        readies.append(ready)
        procs.append(proc)
    for ready in readies:
        ready.wait(120)
    started = time.perf_counter()
    go.set()
    done = sum(out.get(timeout=600) for _ in procs)
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join(60)
        if proc.exitcode != 0:
            raise SystemExit(f"{target.__name__} process failed with {proc.exitcode}")
    return done / elapsed


def fill(url: str, jobs: int) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE bench_jobs, jobs, job_attempts RESTART IDENTITY"))
        connection.execute(
            text(
                "INSERT INTO bench_jobs (payload) SELECT jsonb_build_object('n', g) "
                "FROM generate_series(1, :n) g"
            ),
            {"n": jobs},
        )
        connection.execute(
            text(
                "INSERT INTO jobs (kind, payload, idempotency_key, status, attempts, run_at) "
                "SELECT 'bench.noop', jsonb_build_object('n', g), 'bench:' || g, 'pending', 0, "
                "now() FROM generate_series(1, :n) g"
            ),
            {"n": jobs},
        )
        connection.execute(text("ANALYZE bench_jobs"))
        connection.execute(text("ANALYZE jobs"))
    engine.dispose()


def check_drained(url: str, jobs: int) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        done = connection.execute(text("SELECT count(*) FROM jobs WHERE status = 'done'"))
        attempts = connection.execute(text("SELECT count(*) FROM job_attempts"))
        base = connection.execute(text("SELECT count(*) FROM bench_jobs WHERE status = 'done'"))
        counts = (done.scalar(), attempts.scalar(), base.scalar())
    engine.dispose()
    if counts != (jobs, jobs, jobs):
        raise SystemExit(f"not every job ran exactly once: {counts}")


def measure_jobs(url: str, jobs: int, rounds: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for workers in WORKER_COUNTS:
        engine_rates, baseline_rates = [], []
        for _ in range(rounds):
            fill(url, jobs)
            baseline_rates.append(run_processes(baseline_worker, url, workers))
            engine_rates.append(run_processes(engine_worker, url, workers))
            check_drained(url, jobs)
        engine_rate = statistics.median(engine_rates)
        baseline_rate = statistics.median(baseline_rates)
        results[str(workers)] = {
            "engine_jobs_per_s": round(engine_rate, 1),
            "baseline_jobs_per_s": round(baseline_rate, 1),
            "ratio": round(engine_rate / baseline_rate, 3),
        }
        print(f"{workers} worker(s): {results[str(workers)]}", flush=True)
    return results


def _inbox_rows(url: str, table: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        stored = connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE event_type <> 'warm'")
        )
        count = int(stored.scalar_one())
    engine.dispose()
    return count


def _truncate_inbox(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE inbox_events, bench_inbox RESTART IDENTITY CASCADE"))
    engine.dispose()


def measure_inbox(url: str, events: int, rounds: int, writers: int = 4) -> dict[str, float]:
    """`writers` processes, each with its own connection, record `events` distinct events.

    Per round, on an emptied table each time: the engine (`inbox.record`), the bare INSERT
    into the real `inbox_events`, and the bare INSERT into the 2-index `bench_inbox`.
    Medians over `rounds`; the ratio is the median of each round's engine / bare (real
    table), so a disk that speeds up or slows down between rounds does not skew it.
    """
    per_writer = max(1, events // writers)
    runs = [
        ("engine", inbox_writer, "inbox_events"),
        ("bare", bare_inbox_writer, "inbox_events"),
        ("bare_2_indexes", bare_inbox_writer, "bench_inbox"),
    ]
    rates: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    for round_no in range(rounds):
        turn = round_no % len(runs)  # each method takes its turn first: the disk drifts
        for label, target, table in runs[turn:] + runs[:turn]:
            _truncate_inbox(url)
            extra = (per_writer,) if target is inbox_writer else (per_writer, table)
            rates[label].append(run_processes(target, url, writers, *extra))
            if (stored := _inbox_rows(url, table)) != per_writer * writers:
                raise SystemExit(f"{label}: stored {stored} of {per_writer * writers} events")
    result = {label: round(statistics.median(values), 1) for label, values in rates.items()}
    ratios = [e / b for e, b in zip(rates["engine"], rates["bare"], strict=True)]
    result["ratio"] = round(statistics.median(ratios), 3)  # per round, then the median
    print(
        f"inbox: {writers} writer processes, {per_writer * writers} events, median of {rounds}: "
        f"{result['engine']:.0f} events/s through record(); bare psycopg INSERT into "
        f"inbox_events {result['bare']:.0f}/s (ratio {result['ratio']:.2f}); into a 2-index "
        f"table {result['bare_2_indexes']:.0f}/s",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="admin URL of a server where the benchmark may CREATE DATABASE",
    )
    parser.add_argument("--jobs", type=int, default=5000, help="jobs per run (default 5000)")
    parser.add_argument("--events", type=int, default=8000, help="inbox events (default 8000)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per worker count (median)")
    parser.add_argument("--inbox-only", action="store_true", help="skip the outbox job runs")
    args = parser.parse_args(argv)

    from westgear_desk.db.migrate import upgrade

    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"wgbench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql(BASELINE_DDL)
        engine.dispose()
        workers = {} if args.inbox_only else measure_jobs(url, args.jobs, args.rounds)
        inbox = measure_inbox(url, args.events, args.rounds)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(
        json.dumps(
            {
                "workers": workers,
                "inbox_events_per_s": inbox["engine"],
                "inbox_baseline_events_per_s": inbox["bare"],
                "inbox_ratio": inbox["ratio"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
