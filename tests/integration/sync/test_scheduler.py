"""The flow runner and desk on a real database (SQLite for one desk, PostgreSQL for many)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import SyncRunStatus
from westgear_desk.db.models import SyncRun
from westgear_desk.settings import ScheduleSettings
from westgear_desk.sync.desk import Desk
from westgear_desk.sync.flows import Flow, IntervalSchedule, RunContext
from westgear_desk.sync.locks import AdvisoryLocks, LocalLocks, locks_for
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.scheduler import FlowRunner, RunFailedError, SlotOutcome

SLOT = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)


def _wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _runner(factory: sessionmaker[Session], desk: str = "desk-1", **kw: object) -> FlowRunner:
    engine = factory.kw["bind"]
    return FlowRunner(factory, locks_for(engine), desk_id=desk, **kw)  # type: ignore[arg-type]


def _runs(factory: sessionmaker[Session], schedule: str | None = None) -> list[SyncRun]:
    with factory() as session:
        stmt = select(SyncRun).order_by(SyncRun.id)
        if schedule:
            stmt = stmt.where(SyncRun.schedule == schedule)
        return list(session.scalars(stmt))


def _counting_flow(name: str, calls: list[RunContext], counts: RunCounts | None = None) -> Flow:
    def run(ctx: RunContext) -> RunCounts:
        calls.append(ctx)
        return counts or RunCounts(fetched=3, written=2, unchanged=1)

    return Flow(name, IntervalSchedule(60), run)


def test_a_slot_runs_once_however_many_desks_fire_for_it(
    session_factory: sessionmaker[Session],
) -> None:
    calls: list[RunContext] = []
    flow = _counting_flow("catalog", calls)
    first = _runner(session_factory, "desk-1").run_slot(flow, SLOT)
    second = _runner(session_factory, "desk-2").run_slot(flow, SLOT)
    assert (first, second) == (SlotOutcome.SUCCEEDED, SlotOutcome.SLOT_TAKEN)
    assert len(calls) == 1
    [run] = _runs(session_factory)
    assert run.run_key == "catalog@2026-11-29T10:00:00+00:00"
    assert run.slot_at == SLOT
    assert run.desk == "desk-1"
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.counts["fetched"] == 3
    assert run.counts["unchanged"] == 1
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert calls[0].run_id == run.id
    assert calls[0].slot_at == SLOT


def test_the_current_slot_is_computed_from_the_clock(
    session_factory: sessionmaker[Session],
) -> None:
    calls: list[RunContext] = []
    now = dt.datetime(2026, 11, 29, 10, 0, 59, tzinfo=dt.UTC)
    runner = FlowRunner(session_factory, LocalLocks(), desk_id="d", clock=lambda: now)
    assert runner.run_slot(_counting_flow("tick", calls)) == SlotOutcome.SUCCEEDED
    assert calls[0].slot_at == SLOT


def test_a_failing_flow_is_recorded_with_partial_counts_and_a_redacted_error(
    session_factory: sessionmaker[Session],
) -> None:
    def broken(ctx: RunContext) -> RunCounts:
        raise RunFailedError(
            "page 3 failed for kund@example.se", RunCounts(fetched=200, written=150)
        )

    outcome = _runner(session_factory).run_slot(Flow("orders", IntervalSchedule(60), broken), SLOT)
    assert outcome == SlotOutcome.FAILED
    [run] = _runs(session_factory)
    assert run.status == SyncRunStatus.FAILED
    assert run.counts["written"] == 150
    assert run.error_summary
    assert "page 3 failed" in run.error_summary
    assert "kund@example.se" not in run.error_summary


def test_a_flow_returning_the_wrong_type_fails_its_run(
    session_factory: sessionmaker[Session],
) -> None:
    flow = Flow("bad", IntervalSchedule(60), lambda ctx: {"fetched": 1})  # type: ignore[arg-type,return-value]
    assert _runner(session_factory).run_slot(flow, SLOT) == SlotOutcome.FAILED
    assert "TypeError" in (_runs(session_factory)[0].error_summary or "")


def test_a_schedule_busy_elsewhere_is_skipped_without_a_record(
    session_factory: sessionmaker[Session],
) -> None:
    runner = _runner(session_factory)
    calls: list[RunContext] = []
    with runner.locks.hold("catalog") as held:
        assert held
        outcome = runner.run_slot(_counting_flow("catalog", calls), SLOT)
    assert outcome == SlotOutcome.BUSY
    assert calls == []
    assert _runs(session_factory) == []


def test_a_run_never_overlaps_itself_within_one_desk(
    session_factory: sessionmaker[Session],
) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(ctx: RunContext) -> RunCounts:
        inside.set()
        release.wait(10)
        return RunCounts()

    flow = Flow("slow", IntervalSchedule(1), slow)
    runner = _runner(session_factory)
    outcomes: list[SlotOutcome] = []
    thread = threading.Thread(target=lambda: outcomes.append(runner.run_slot(flow, SLOT)))
    thread.start()
    try:
        assert inside.wait(10)
        later = SLOT + dt.timedelta(seconds=1)
        assert runner.run_slot(flow, later) == SlotOutcome.BUSY
    finally:
        release.set()
        thread.join(10)
    assert outcomes == [SlotOutcome.SUCCEEDED]
    assert len(_runs(session_factory)) == 1


def test_manual_runs_never_collide_with_slots(session_factory: sessionmaker[Session]) -> None:
    calls: list[RunContext] = []
    flow = _counting_flow("catalog", calls)
    runner = _runner(session_factory)
    first, _ = runner.run_manual(flow)
    second, outcome = runner.run_manual(flow)
    assert outcome == SlotOutcome.SUCCEEDED
    assert first != second
    assert runner.run_slot(flow, SLOT) == SlotOutcome.SUCCEEDED
    keys = [r.run_key for r in _runs(session_factory)]
    assert len(set(keys)) == 3
    assert sum("@manual:" in k for k in keys) == 2


def _insert_running(factory: sessionmaker[Session], schedule: str, started: dt.datetime) -> int:
    with factory() as session, session.begin():
        run = SyncRun(
            schedule=schedule,
            run_key=f"{schedule}@{started.isoformat()}",
            slot_at=started,
            desk="dead-desk:1",
            status=SyncRunStatus.RUNNING,
            started_at=started,
            counts={},
        )
        session.add(run)
        session.flush()
        return run.id


def test_runs_of_a_dead_desk_are_marked_interrupted(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    now = dt.datetime.now(dt.UTC)
    old = _insert_running(session_factory, "catalog", now - dt.timedelta(hours=7))
    recent = _insert_running(session_factory, "orders", now - dt.timedelta(minutes=1))
    runner = _runner(session_factory, stale_after=dt.timedelta(hours=6))
    reaped = runner.reap_interrupted()
    status = {r.id: r.status for r in _runs(session_factory)}
    assert status[old] == SyncRunStatus.INTERRUPTED
    if engine.dialect.name == "postgresql":
        # Nobody holds the advisory lock of "orders": its desk is gone, however recent.
        assert status[recent] == SyncRunStatus.INTERRUPTED
        assert reaped == 2
    else:
        # One desk on SQLite: a recent run may belong to a live process on the same file.
        assert status[recent] == SyncRunStatus.RUNNING
        assert reaped == 1


@pytest.mark.postgres
def test_a_live_run_elsewhere_is_not_marked_interrupted(migrated_pg_url: str) -> None:
    from westgear_desk.db.session import create_engine_for, make_session_factory

    engine = create_engine_for(migrated_pg_url)
    factory = make_session_factory(engine)
    try:
        live = _insert_running(factory, "catalog", dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        other_desk = AdvisoryLocks(engine)
        with other_desk.hold("catalog") as held:  # a live desk holds the schedule's lock
            assert held
            assert FlowRunner(factory, AdvisoryLocks(engine), desk_id="me").reap_interrupted() == 0
        assert _runs(factory)[0].status == SyncRunStatus.RUNNING
        assert FlowRunner(factory, AdvisoryLocks(engine), desk_id="me").reap_interrupted() == 1
        assert _runs(factory)[0].id == live
        assert _runs(factory)[0].status == SyncRunStatus.INTERRUPTED
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_advisory_lock_excludes_other_connections_and_is_released(migrated_pg_url: str) -> None:
    from westgear_desk.db.session import create_engine_for

    engine = create_engine_for(migrated_pg_url)
    other = create_engine(migrated_pg_url)
    try:
        locks = AdvisoryLocks(engine)
        with locks.hold("catalog") as held:
            assert held
            with AdvisoryLocks(other).hold("catalog") as elsewhere:
                assert not elsewhere
            with AdvisoryLocks(other).hold("orders") as unrelated:
                assert unrelated
        with AdvisoryLocks(other).hold("catalog") as after:
            assert after
        with engine.connect() as conn:  # nothing left in the pool holding a lock
            held_locks = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            ).scalar_one()
        assert held_locks == 0
    finally:
        engine.dispose()
        other.dispose()


def test_desk_runs_each_slot_once_and_stops_cleanly(session_factory: sessionmaker[Session]) -> None:
    calls: list[RunContext] = []
    ticks: list[float] = []
    from westgear_desk.sync.scheduler import Tick

    flow = Flow("fast", IntervalSchedule(0.5), lambda ctx: calls.append(ctx) or RunCounts())  # type: ignore[func-returns-value]
    desk = Desk(
        session_factory,
        ScheduleSettings(misfire_grace_s=5),
        flows=[flow],
        ticks=[Tick("jobs", 0.2, lambda: ticks.append(time.monotonic()))],
        desk_id="desk-x",
    )
    desk.start()
    try:
        _wait_for(lambda: len(calls) >= 4 and len(ticks) >= 4)
    finally:
        assert desk.stop(10)
    assert not desk.running
    runs = _runs(session_factory, "fast")
    assert len(runs) == len(calls)
    assert len({r.run_key for r in runs}) == len(runs)
    assert {r.status for r in runs} == {SyncRunStatus.SUCCEEDED}
    assert {r.desk for r in runs} == {"desk-x"}
    settled = len(calls)
    time.sleep(1.0)  # after stop, nothing fires any more
    assert len(calls) == settled


def test_stop_lets_a_running_flow_finish_and_it_sees_the_request(
    session_factory: sessionmaker[Session],
) -> None:
    entered = threading.Event()
    saw_stop: list[bool] = []

    def patient(ctx: RunContext) -> RunCounts:
        entered.set()
        saw_stop.append(ctx.stop_requested.wait(10))  # a long flow checking between batches
        return RunCounts(written=1)

    desk = Desk(
        session_factory,
        ScheduleSettings(),
        flows=[Flow("long", IntervalSchedule(0.5), patient)],
        desk_id="desk-y",
    )
    desk.start()
    assert entered.wait(10)
    assert desk.stop(10)
    assert saw_stop == [True]
    [run] = _runs(session_factory, "long")
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.counts["written"] == 1


def test_an_unreachable_database_skips_the_slot_without_crashing() -> None:
    from tests.helpers.databases import _free_port
    from westgear_desk.db.session import create_engine_for, make_session_factory

    engine = create_engine_for(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nowhere")
    factory = make_session_factory(engine)
    calls: list[RunContext] = []
    try:
        runner = FlowRunner(factory, AdvisoryLocks(engine), desk_id="offline")
        assert runner.run_slot(_counting_flow("catalog", calls), SLOT) == SlotOutcome.UNAVAILABLE
        assert runner.reap_interrupted() == 0
    finally:
        engine.dispose()
    assert calls == []


def test_full_desk_runs_module_hooks_and_stops_after_the_job_in_hand(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from tests.helpers import scheduler_procs as hooks
    from westgear_desk.db.enums import JobStatus
    from westgear_desk.db.models import Job
    from westgear_desk.db.session import unit_of_work
    from westgear_desk.settings import load_settings
    from westgear_desk.sync.jobs import enqueue

    hooks.job_started.clear()
    hooks.jobs_handled.clear()
    hooks.flow_runs.clear()
    with unit_of_work(session_factory) as session:
        for n in range(3):
            enqueue(session, hooks.BLOCKING_JOB_KIND, {"n": n}, f"block-{n}")
    settings = load_settings(
        tmp_path / "settings.toml",
        database_url=db_url,
        schedules={"job_tick_s": 0.2, "inbox_tick_s": 0.2},
    )
    desk = Desk.for_settings(
        settings, session_factory, modules=["tests.helpers.scheduler_procs"], desk_id="full-desk"
    )
    assert desk.flows.names() == ["test_counter"]
    desk.start()
    try:
        _wait_for(lambda: hooks.flow_runs)
        assert hooks.job_started.wait(20)
    finally:
        assert desk.stop(20)
    with session_factory() as session:
        jobs = {job.id: job for job in session.scalars(select(Job))}
    done = [j for j in jobs.values() if j.status == JobStatus.DONE]
    # The job in hand finished; claimed jobs not started yet went back, unlocked.
    assert [j.id for j in done] == hooks.jobs_handled
    assert len(done) >= 1
    rest = [j for j in jobs.values() if j.status != JobStatus.DONE]
    assert all(j.status == JobStatus.PENDING and j.locked_by is None for j in rest)
    assert _runs(session_factory, "test_counter")[0].counts["unchanged"] == 1
