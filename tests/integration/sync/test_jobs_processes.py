"""Real worker processes sharing one PostgreSQL outbox: no job lost, no effect doubled.

Each worker is a separate Python process (`tests.helpers.engine_procs`), so claims really
compete through ``FOR UPDATE SKIP LOCKED``, a SIGKILL really kills a desk mid-job, and
``pg_terminate_backend`` really drops the connections a worker holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.helpers import engine_procs
from westgear_desk.db.session import create_engine_for, make_session_factory
from westgear_desk.sync.jobs import enqueue

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg(migrated_pg_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_pg_url, poolclass=NullPool)
    engine_procs.create_effect_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def enqueue_many(url: str, kind: str, count: int) -> None:
    engine = create_engine_for(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        for n in range(count):
            enqueue(session, kind, {"n": n}, f"{kind}:{n}")
    engine.dispose()


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> None:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker exited {proc.returncode}: {err[-3000:]}"


def test_three_worker_processes_drain_5000_jobs_each_effect_exactly_once(
    pg: Engine, migrated_pg_url: str, tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    enqueue_many(migrated_pg_url, engine_procs.EFFECT_KIND, 5000)
    go = tmp_path / "go"
    procs.extend(
        engine_procs.start(
            "drain", migrated_pg_url, "--desk", f"desk{n}", "--go", str(go), "--timeout", "200"
        )
        for n in range(3)
    )
    go.touch()
    for proc in procs:
        finish(proc)
    # The handler's effect is a plain INSERT under a unique key: a job run twice would have
    # failed with a unique violation and gone dead; a job never run would have no effect.
    assert scalar(pg, "SELECT count(*) FROM test_effects") == 5000
    assert scalar(pg, "SELECT count(*) FROM test_runs") == 5000
    assert scalar(pg, "SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 1") == 5000
    missing = scalar(
        pg,
        "SELECT count(*) FROM jobs j WHERE NOT EXISTS "
        "(SELECT 1 FROM test_effects e WHERE e.key = j.idempotency_key)",
    )
    assert missing == 0
    assert scalar(pg, "SELECT count(*) FROM job_attempts WHERE outcome = 'succeeded'") == 5000
    desks = scalar(pg, "SELECT count(DISTINCT desk) FROM job_attempts")
    assert desks == 3, "every worker process took part"


def test_worker_killed_mid_job_is_taken_over_after_its_lease(
    pg: Engine, migrated_pg_url: str, tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    lease = 2.0
    enqueue_many(migrated_pg_url, engine_procs.BLOCK_KIND, 1)
    marker = tmp_path / "in-handler"
    victim = engine_procs.start(
        "block", migrated_pg_url, "--desk", "victim", "--lease", str(lease), "--marker", str(marker)
    )
    procs.append(victim)
    wait_for(marker.exists, 60, "the victim to be inside the handler")
    rescuer = engine_procs.start(
        "rescue", migrated_pg_url, "--desk", "rescuer", "--lease", str(lease), "--timeout", "60"
    )
    procs.append(rescuer)
    first_lease = scalar(pg, "SELECT lease_expires_at FROM jobs")
    # While the victim lives, its heartbeat keeps the lease; the rescuer must not take over.
    wait_for(
        lambda: scalar(
            pg, "SELECT lease_expires_at > :t + interval '4 seconds' FROM jobs", t=first_lease
        ),
        30,
        "the heartbeat to extend the lease past twice its length",
    )
    assert scalar(pg, "SELECT locked_by FROM jobs").startswith("victim:")
    assert scalar(pg, "SELECT count(*) FROM job_attempts") == 0

    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    finish(rescuer, timeout=60)
    assert time.monotonic() - killed_at >= lease * 0.5  # not taken over before the lease ran out
    assert scalar(pg, "SELECT status FROM jobs") == "done"
    assert scalar(pg, "SELECT count(*) FROM test_effects") == 1  # the effect exists once
    assert scalar(pg, "SELECT count(*) FROM test_runs") == 2  # the handler ran twice
    with Session(pg) as session:
        attempts = session.execute(
            text("SELECT attempt_no, outcome, desk FROM job_attempts ORDER BY attempt_no")
        ).all()
    assert [tuple(a) for a in attempts] == [
        (1, "lease_lost", "victim"),
        (2, "succeeded", "rescuer"),
    ]


def _terminate_workers(pg: Engine) -> int:
    return int(
        scalar(
            pg,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :app AND datname = current_database()",
            app=engine_procs.WORKER_APP,
        )
    )


def test_workers_reconnect_after_their_connections_are_dropped(
    pg: Engine, migrated_pg_url: str, tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    total = 3000
    enqueue_many(migrated_pg_url, engine_procs.EFFECT_KIND, total)
    go = tmp_path / "go"
    options = ("--go", str(go), "--idempotent", "--lease", "3", "--timeout", "200")
    procs.extend(
        engine_procs.start("drain", migrated_pg_url, "--desk", f"desk{n}", *options)
        for n in range(2)
    )
    go.touch()
    killed = 0
    for threshold in (300, 900, 1500, 2100):
        wait_for(
            lambda t=threshold: scalar(pg, "SELECT count(*) FROM test_effects") >= t,
            120,
            f"{threshold} effects",
        )
        killed += _terminate_workers(pg)
    for proc in procs:
        finish(proc)
    assert killed >= 4, "connections were really dropped during the run"
    assert scalar(pg, "SELECT count(*) FROM jobs WHERE status = 'done'") == total
    assert scalar(pg, "SELECT count(*) FROM test_effects") == total  # nothing lost
    missing = scalar(
        pg,
        "SELECT count(*) FROM jobs j WHERE NOT EXISTS "
        "(SELECT 1 FROM test_effects e WHERE e.key = j.idempotency_key)",
    )
    assert missing == 0
