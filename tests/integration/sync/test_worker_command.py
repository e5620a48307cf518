"""`westgear-desk worker` as a real process: it ticks, reaps dead work, stops on signals."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.scheduler_procs import REPO_ROOT, wait_for
from westgear_desk.db.enums import JobStatus, SyncRunStatus
from westgear_desk.db.models import Job, SyncRun
from westgear_desk.db.session import unit_of_work
from westgear_desk.sync.jobs import enqueue

pytestmark = pytest.mark.slow


def _worker_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESTGEAR_")}
    for name in ("DATA", "CONFIG", "LOG"):
        path = tmp_path / name.lower()
        path.mkdir(exist_ok=True)
        env[f"WESTGEAR_{name}_DIR"] = str(path)
    env["WESTGEAR_SCHEDULES__JOB_TICK_S"] = "0.5"
    env["WESTGEAR_SCHEDULES__INBOX_TICK_S"] = "0.5"
    return env


def _start_worker(url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "westgear_desk.cli", "--database-url", url, "worker"]
    out = (tmp_path / "worker.out").open("wb")
    return subprocess.Popen(
        command, cwd=REPO_ROOT, env=_worker_env(tmp_path), stdout=out, stderr=subprocess.STDOUT
    )


def _seed_dead_desk_work(factory: sessionmaker[Session]) -> tuple[int, int]:
    """A run and a job left behind by a desk that died seven hours ago."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=7)
    with unit_of_work(factory) as session:
        run = SyncRun(
            schedule="catalog",
            run_key=f"catalog@{long_ago.isoformat()}",
            slot_at=long_ago,
            desk="dead-desk:1",
            status=SyncRunStatus.RUNNING,
            started_at=long_ago,
            counts={},
        )
        session.add(run)
        job_id = enqueue(session, "email.send", {"template": "shipped"}, "dead-desk-job-1")
        session.flush()
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                attempts=1,
                locked_by="dead-desk:1",
                lease_expires_at=long_ago + dt.timedelta(minutes=1),
            )
        )
        return run.id, job_id


def _state(factory: sessionmaker[Session], run_id: int, job_id: int) -> tuple[str, str]:
    with factory() as session:
        run_status = session.scalar(select(SyncRun.status).where(SyncRun.id == run_id))
        job_status = session.scalar(select(Job.status).where(Job.id == job_id))
    return str(run_status), str(job_status)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_worker_ticks_and_stops_cleanly(
    db_url: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    stop_signal: signal.Signals,
) -> None:
    run_id, job_id = _seed_dead_desk_work(session_factory)
    proc = _start_worker(db_url, tmp_path)
    try:
        wait_for(
            lambda: "running" not in _state(session_factory, run_id, job_id),
            60,
            "the worker to take over the dead desk's run and job",
        )
        taken_over = True
    except AssertionError:
        taken_over = False  # reported below, with the worker's output
    finally:
        if proc.poll() is None:
            proc.send_signal(stop_signal)
        code = proc.wait(60)
    output = (tmp_path / "worker.out").read_text(errors="replace")
    assert taken_over, output
    assert code == 0, output
    run_status, job_status = _state(session_factory, run_id, job_id)
    assert run_status == "interrupted"  # housekeeping: its desk is gone
    assert job_status in {"pending", "dead"}  # the job tick reclaimed the expired lease

    log_file = tmp_path / "log" / "westgear-desk.jsonl"
    messages = [json.loads(line)["message"] for line in log_file.read_text().splitlines()]
    assert any(m.startswith("worker ") and " running" in m for m in messages)
    assert any("received " + stop_signal.name in m for m in messages)
    assert any(m.startswith("desk ") and m.endswith(" stopped") for m in messages)


def test_worker_refuses_a_database_without_the_schema(sqlite_url: str, tmp_path: Path) -> None:
    proc = _start_worker(sqlite_url, tmp_path)
    code = proc.wait(60)
    output = (tmp_path / "worker.out").read_text(errors="replace")
    assert code == 2
    assert "error:" in output
