"""The embedded scheduler: APScheduler fires in every desk, the database decides who runs.

APScheduler 3 cannot share a job store between processes, so each desk keeps its jobs in
memory and fires them itself. For a *flow*, a firing then goes through `FlowRunner.run_slot`:

1. compute the slot time from the schedule (identical on every desk, see `flows`);
2. take the schedule's lock (`locks`): PostgreSQL advisory lock, so runs of one schedule
   never overlap across desks; if it is held elsewhere, record nothing and move on;
3. insert the run key into `sync_runs` with ON CONFLICT DO NOTHING; if another desk already
   ran this slot, record nothing and move on;
4. run the flow, record counts and outcome, release the lock.

*Ticks* (job worker, inbox processing, housekeeping) are not slot-keyed: every desk ticks,
and `FOR UPDATE SKIP LOCKED` claims share the work. Coalescing and misfire grace make a desk
that woke late run a missed slot once, not once per missed firing.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import SyncRunStatus
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.log import correlation_scope
from westgear_desk.sync import runs
from westgear_desk.sync.flows import DEFAULT_TIMEZONE, Flow, RunContext, run_key
from westgear_desk.sync.locks import ScheduleLocks
from westgear_desk.sync.runs import RunCounts

DEFAULT_MAX_WORKERS: Final = 4
#: On SQLite (no cross-process lock) a ``running`` run older than this counts as dead.
DEFAULT_STALE_AFTER: Final = dt.timedelta(hours=6)
_log = logging.getLogger(__name__)


class SlotOutcome(enum.StrEnum):
    """What one firing of a flow amounted to on this desk."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SLOT_TAKEN = "slot_taken"  # another desk (or an earlier firing) ran this slot
    BUSY = "busy"  # a run of this schedule is still going somewhere
    STOPPING = "stopping"  # the desk is shutting down
    UNAVAILABLE = "unavailable"  # the database could not be reached


class RunFailedError(Exception):
    """Raised by a flow that failed part-way and wants its partial counts recorded."""

    def __init__(self, message: str, counts: RunCounts) -> None:
        super().__init__(message)
        self.counts = counts


class FlowRunner:
    """Runs flows slot by slot under the schedule lock and records them in `sync_runs`."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        locks: ScheduleLocks,
        *,
        desk_id: str,
        call_recorder: CallRecorder = NULL_RECORDER,
        stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
        clock: Callable[[], dt.datetime] = runs.utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.locks = locks
        self.desk_id = desk_id
        self.call_recorder = call_recorder
        self.stale_after = stale_after
        self.clock = clock
        self.stop_requested = threading.Event()
        self._active: set[int] = set()
        self._active_guard = threading.Lock()

    @property
    def active_run_ids(self) -> set[int]:
        with self._active_guard:
            return set(self._active)

    def run_slot(self, flow: Flow, slot_at: dt.datetime | None = None) -> SlotOutcome:
        """Run `flow` for the slot at `slot_at` (default: the current slot) unless taken."""
        if self.stop_requested.is_set():
            return SlotOutcome.STOPPING
        slot = flow.schedule.slot_at(self.clock()) if slot_at is None else slot_at
        try:
            with self.locks.hold(flow.name) as held:
                if not held:
                    _log.debug("flow %s: a run is in progress elsewhere; skipping", flow.name)
                    return SlotOutcome.BUSY
                run_id = self._claim(flow.name, slot)
                if run_id is None:
                    _log.debug("flow %s: slot %s already ran", flow.name, slot.isoformat())
                    return SlotOutcome.SLOT_TAKEN
                return self._execute(flow, run_id, slot)
        except DBAPIError as exc:
            _log.warning("flow %s: database unavailable (%s); slot skipped", flow.name, exc)
            return SlotOutcome.UNAVAILABLE

    def run_manual(self, flow: Flow) -> tuple[int, SlotOutcome]:
        """Run `flow` now, outside any slot (the ``sync <flow>`` command); waits for the lock."""
        with self.locks.hold(flow.name) as held:
            if not held:
                return 0, SlotOutcome.BUSY
            self._interrupt_dead(flow.name)
            run_id = runs.start_manual_run(
                self.session_factory, schedule=flow.name, desk_id=self.desk_id
            )
            return run_id, self._execute(flow, run_id, self.clock())

    def _claim(self, schedule: str, slot: dt.datetime) -> int | None:
        with self.session_factory() as session, session.begin():
            self._interrupt_dead(schedule, session)
            return runs.claim_run(
                session,
                schedule=schedule,
                key=run_key(schedule, slot),
                slot_at=slot,
                desk_id=self.desk_id,
            )

    def _interrupt_dead(self, schedule: str, session: Session | None = None) -> int:
        """Mark runs of `schedule` whose desk is gone ``interrupted`` (caller holds the lock).

        Holding an advisory lock proves nobody runs the schedule, so every ``running`` row is
        dead; a process-local lock proves that only for this process, so there only rows
        older than `stale_after` count.
        """
        started_before = None
        if not self.locks.exclusive_across_processes:
            started_before = self.clock() - self.stale_after
        if session is not None:
            return runs.interrupt_runs(
                session,
                schedule=schedule,
                started_before=started_before,
                exclude_ids=self.active_run_ids,
            )
        with self.session_factory() as own, own.begin():
            return self._interrupt_dead(schedule, own)

    def reap_interrupted(self) -> int:
        """Mark every dead ``running`` run ``interrupted``; return how many (housekeeping)."""
        total = 0
        try:
            with self.session_factory() as session:
                schedules = runs.running_schedules(session)
            for schedule in schedules:
                with self.locks.hold(schedule) as held:
                    if held:
                        total += self._interrupt_dead(schedule)
        except DBAPIError as exc:
            _log.warning("housekeeping skipped: database unavailable (%s)", exc)
        if total:
            _log.info("marked %d run(s) of dead desks as interrupted", total)
        return total

    def _execute(self, flow: Flow, run_id: int, slot: dt.datetime) -> SlotOutcome:
        ctx = RunContext(
            run_id=run_id,
            schedule=flow.name,
            slot_at=slot,
            desk_id=self.desk_id,
            session_factory=self.session_factory,
            call_recorder=self.call_recorder,
            stop_requested=self.stop_requested,
        )
        with self._active_guard:
            self._active.add(run_id)
        try:
            with correlation_scope():
                return self._run_and_record(flow, ctx)
        finally:
            with self._active_guard:
                self._active.discard(run_id)

    def _run_and_record(self, flow: Flow, ctx: RunContext) -> SlotOutcome:
        started = time.monotonic()
        try:
            counts = flow.run(ctx)
            if not isinstance(counts, RunCounts):
                raise TypeError(f"flow {flow.name} returned {type(counts).__name__}")
        except Exception as exc:  # the run boundary: recorded and logged, never raised
            _log.exception("flow %s run %s failed", flow.name, ctx.run_id)
            partial = exc.counts if isinstance(exc, RunFailedError) else RunCounts()
            self._finish(ctx.run_id, SyncRunStatus.FAILED, partial, exc)
            return SlotOutcome.FAILED
        self._finish(ctx.run_id, SyncRunStatus.SUCCEEDED, counts, None)
        _log.info(
            "flow %s run %s succeeded in %.1f s: %s",
            flow.name,
            ctx.run_id,
            time.monotonic() - started,
            counts.summary(),
        )
        return SlotOutcome.SUCCEEDED

    def _finish(
        self, run_id: int, status: SyncRunStatus, counts: RunCounts, error: BaseException | None
    ) -> None:
        try:
            runs.finish_run(self.session_factory, run_id, status=status, counts=counts, error=error)
        except DBAPIError:
            # The row stays ``running``; housekeeping marks it interrupted later.
            _log.exception("could not record the end of run %s", run_id)


@dataclass(frozen=True)
class Tick:
    """Periodic work every desk does (not slot-keyed), e.g. the job worker."""

    name: str
    interval_s: float
    run: Callable[[], object]
    request_stop: Callable[[], None] | None = None


class DeskScheduler:
    """One desk's APScheduler: in-memory job store, bounded thread pool, coalescing.

    Every job is wrapped so `stop` can wait for work in flight with a deadline.
    """

    def __init__(
        self,
        runner: FlowRunner,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        misfire_grace_s: float = 60.0,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self.runner = runner
        self.timezone = timezone
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, round(misfire_grace_s)),
            },
            timezone=timezone,
        )
        self._stop_hooks: list[Callable[[], None]] = []
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def add_flow(self, flow: Flow) -> None:
        """Schedule `flow` on its own trigger; each firing goes through `run_slot`."""
        self._scheduler.add_job(
            self._tracked(self.runner.run_slot),
            trigger=flow.schedule.trigger(self.timezone),
            args=[flow],
            id=f"flow:{flow.name}",
            name=flow.name,
        )

    def add_tick(self, tick: Tick) -> None:
        """Schedule `tick` every `interval_s`, first at once."""
        self._scheduler.add_job(
            self._tracked(tick.run),
            trigger=IntervalTrigger(seconds=tick.interval_s, timezone=self.timezone),
            id=f"tick:{tick.name}",
            name=tick.name,
            next_run_time=dt.datetime.now(dt.UTC),
        )
        if tick.request_stop is not None:
            self._stop_hooks.append(tick.request_stop)

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def start(self) -> None:
        self._scheduler.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop firing, ask running work to finish, wait up to `timeout` s; True if all done."""
        self.runner.stop_requested.set()
        for hook in self._stop_hooks:
            hook()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    _log.warning(
                        "stop: %d job(s) still running after %.0f s", self._in_flight, timeout
                    )
                    return False
                self._idle.wait(remaining)
        return True

    def _tracked(self, fn: Callable[..., Any]) -> Callable[..., None]:
        def job(*args: Any) -> None:
            if self.runner.stop_requested.is_set():
                return
            with self._idle:
                self._in_flight += 1
            try:
                fn(*args)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

        job.__name__ = getattr(fn, "__name__", "job")
        return job
