"""Desks as real processes: many share a schedule on PostgreSQL, one runs alone on SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.helpers.scheduler_procs import (
    create_marks_table,
    read_marks,
    spawn_desk,
    stop_desk,
    wait_for,
)
from westgear_desk.db.enums import SyncRunStatus
from westgear_desk.db.models import SyncRun

pytestmark = pytest.mark.slow


def _runs(url: str, schedule: str) -> list[SyncRun]:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as session:
        rows = list(
            session.scalars(
                select(SyncRun).where(SyncRun.schedule == schedule).order_by(SyncRun.slot_at)
            )
        )
    engine.dispose()
    return rows


def _assert_few_slots_lost(slots: list[dt.datetime]) -> None:
    """Slots 1 s apart: nearly all between the first and last ran.

    On a loaded machine a run may outlast its second, and then the next slot is skipped
    rather than overlapped (the point of the lock), so a rare gap is allowed, a pattern not.
    """
    expected = int((slots[-1] - slots[0]).total_seconds()) + 1
    assert len(slots) >= expected - max(1, expected // 5), slots


def _sleep_until_fraction(fraction: float) -> None:
    """Sleep until the wall clock's sub-second part is `fraction` (keeps tests off slot edges)."""
    now = time.time()
    time.sleep((fraction - now % 1.0) % 1.0)


@pytest.mark.postgres
def test_two_desks_run_each_slot_exactly_once(migrated_pg_url: str, tmp_path: Path) -> None:
    url = migrated_pg_url
    create_marks_table(url)
    desks = [
        spawn_desk(
            url,
            desk=f"desk-{n}",
            schedule="every_second",
            interval=1,
            flow_seconds=0.2,
            log_dir=tmp_path,
        )
        for n in ("a", "b")
    ]
    try:
        wait_for(lambda: len(read_marks(url, "every_second")) >= 7, 40, "seven slots")
    finally:
        codes = [stop_desk(proc) for proc in desks]
    assert codes == [0, 0], [p.read_text() for p in tmp_path.glob("*.log")]

    marks = read_marks(url, "every_second")
    runs = _runs(url, "every_second")
    per_slot = Counter(mark.slot_at for mark in marks)
    assert max(per_slot.values()) == 1, per_slot  # no slot's flow ran twice
    assert len(runs) == len(marks) == len(per_slot)  # every claimed slot ran, once
    assert {r.run_key for r in runs} == {f"every_second@{slot}" for slot in per_slot}
    assert all(r.status == SyncRunStatus.SUCCEEDED for r in runs)
    assert all(r.counts["fetched"] == 1 for r in runs)
    _assert_few_slots_lost(sorted(r.slot_at for r in runs))
    assert {r.desk for r in runs} <= {"desk-a", "desk-b"}


def test_a_single_desk_runs_every_slot_once(db_url: str, tmp_path: Path) -> None:
    url = db_url
    create_marks_table(url)
    proc = spawn_desk(
        url, desk="alone", schedule="solo", interval=1, flow_seconds=0.1, log_dir=tmp_path
    )
    try:
        wait_for(lambda: len(read_marks(url, "solo")) >= 5, 40, "five slots")
    finally:
        assert stop_desk(proc) == 0
    marks = read_marks(url, "solo")
    runs = _runs(url, "solo")
    assert len(runs) == len(marks) == len({m.slot_at for m in marks})
    assert all(r.status == SyncRunStatus.SUCCEEDED for r in runs)
    _assert_few_slots_lost([r.slot_at for r in runs])


@pytest.mark.postgres
def test_runs_of_one_schedule_never_overlap(migrated_pg_url: str, tmp_path: Path) -> None:
    url = migrated_pg_url
    create_marks_table(url)
    desks = [
        spawn_desk(
            url, desk=f"desk-{n}", schedule="slow", interval=1, flow_seconds=1.6, log_dir=tmp_path
        )
        for n in ("a", "b")
    ]
    try:
        wait_for(
            lambda: sum(m.finished is not None for m in read_marks(url, "slow")) >= 4, 60, "4 runs"
        )
    finally:
        codes = [stop_desk(proc) for proc in desks]
    assert codes == [0, 0]

    marks = [m for m in read_marks(url, "slow") if m.finished is not None]
    for earlier, later in itertools.pairwise(marks):
        assert later.started >= earlier.finished, f"{later} started before {earlier} finished"
    assert len({m.slot_at for m in marks}) == len(marks)
    # The flow outlasts the interval, so busy slots were skipped rather than queued.
    span = marks[-1].started - marks[0].started
    assert len(marks) < span + 1


def test_a_missed_slot_is_caught_up_once(db_url: str, tmp_path: Path) -> None:
    url = db_url
    create_marks_table(url)
    proc = spawn_desk(
        url, desk="sleepy", schedule="catchup", interval=1, flow_seconds=0.05, log_dir=tmp_path
    )
    try:
        wait_for(lambda: len(read_marks(url, "catchup")) >= 2, 30, "two regular runs")
        _sleep_until_fraction(0.3)
        os.kill(proc.pid, signal.SIGSTOP)  # the desk "sleeps" (laptop lid, debugger, overload)
        paused_at = time.time()
        time.sleep(3.2)  # three slots pass unseen
        _sleep_until_fraction(0.15)
        resumed_at = time.time()
        os.kill(proc.pid, signal.SIGCONT)
        wait_for(
            lambda: any(m.started >= resumed_at + 1 for m in read_marks(url, "catchup")),
            20,
            "a regular run after the catch-up",
        )
    finally:
        assert stop_desk(proc) == 0

    marks = read_marks(url, "catchup")
    assert len({m.slot_at for m in marks}) == len(marks)  # no slot ran twice
    ran = {round(dt.datetime.fromisoformat(m.slot_at).timestamp()) for m in marks}
    missed = set(range(int(paused_at) + 1, int(resumed_at) + 1))  # slots that passed asleep
    assert len(missed) >= 3
    # The missed slots coalesce into one run: the latest, caught up at once on waking.
    assert ran & missed == {max(missed)}, sorted(ran)
    [catch_up] = [
        m for m in marks if round(dt.datetime.fromisoformat(m.slot_at).timestamp()) == max(missed)
    ]
    assert catch_up.started - resumed_at < 0.85  # before the next boundary, not at it


@pytest.mark.postgres
def test_next_slot_runs_after_the_connection_is_dropped_mid_run(
    migrated_pg_url: str, tmp_path: Path
) -> None:
    url = migrated_pg_url
    create_marks_table(url)
    proc = spawn_desk(
        url,
        desk="victim",
        schedule="dropped",
        interval=2,
        flow_seconds=1.2,
        mode="dbwork",
        log_dir=tmp_path,
    )
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        wait_for(
            lambda: any(m.finished is None for m in read_marks(url, "dropped")), 30, "a run going"
        )
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert killed >= 1
        dropped_at = time.time()
        wait_for(
            lambda: any(
                r.status == SyncRunStatus.SUCCEEDED and r.started_at.timestamp() > dropped_at
                for r in _runs(url, "dropped")
            ),
            30,
            "a successful run after the drop",
        )
    finally:
        assert stop_desk(proc) == 0
        admin.dispose()

    runs = _runs(url, "dropped")
    assert all(r.status != SyncRunStatus.RUNNING for r in runs)  # none left dangling
    hit = [
        r
        for r in runs
        if r.started_at.timestamp() < dropped_at < (r.finished_at or r.started_at).timestamp()
    ]
    assert len(hit) == 1
    assert hit[0].status in {SyncRunStatus.FAILED, SyncRunStatus.SUCCEEDED}
    if hit[0].status == SyncRunStatus.FAILED:
        assert hit[0].error_summary
