"""One desk's background engine: the scheduler, the job worker, the inbox processor, the call sink.

The `worker` command, the GUI and the demo all start the engine through `Desk`, so every
process schedules the same flows and ticks the same way and stops the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.sync.flows import Flow, FlowRegistry, ScheduleSettingsLike
from westgear_desk.sync.locks import ScheduleLocks, locks_for
from westgear_desk.sync.scheduler import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_STALE_AFTER,
    DeskScheduler,
    FlowRunner,
    Tick,
)

if TYPE_CHECKING:
    from westgear_desk.settings import Settings
    from westgear_desk.sync.inbox import InboxRegistry
    from westgear_desk.sync.jobs import JobRegistry

#: How many jobs / inbox events one tick claims before it checks again.
BATCH: Final = 50
#: How often dead desks' runs are looked for.
HOUSEKEEPING_INTERVAL_S: Final = 60.0
DESK_ID_LIMIT: Final = 64
_log = logging.getLogger(__name__)


def default_desk_id() -> str:
    """Return this process's desk id: host name and process id (fits `sync_runs.desk`)."""
    host = socket.gethostname().split(".")[0] or "desk"
    return f"{host}:{os.getpid()}"[-DESK_ID_LIMIT:]


def drain(
    run_once: Callable[[int], int], reclaim: Callable[[], int], stopping: Callable[[], bool]
) -> int:
    """Reclaim expired leases, then claim batches until one comes back short or we stop."""
    reclaim()
    total = 0
    while not stopping():
        done = run_once(BATCH)
        total += done
        if done < BATCH:
            break
    return total


class Desk:
    """The engine of one process. `start()` begins scheduling; `stop(timeout)` ends it cleanly."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        schedules: ScheduleSettingsLike,
        *,
        flows: Iterable[Flow] = (),
        ticks: Sequence[Tick] = (),
        desk_id: str | None = None,
        call_recorder: CallRecorder = NULL_RECORDER,
        locks: ScheduleLocks | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
        housekeeping_interval_s: float = HOUSEKEEPING_INTERVAL_S,
    ) -> None:
        self.desk_id = desk_id or default_desk_id()
        self.session_factory = session_factory
        engine = session_factory.kw["bind"]
        self.runner = FlowRunner(
            session_factory,
            locks or locks_for(engine),
            desk_id=self.desk_id,
            call_recorder=call_recorder,
            stale_after=stale_after,
        )
        self.scheduler = DeskScheduler(
            self.runner,
            timezone=schedules.timezone,
            misfire_grace_s=schedules.misfire_grace_s,
            max_workers=max_workers,
        )
        self.flows = FlowRegistry()
        for flow in flows:
            self.flows.register(flow)
            self.scheduler.add_flow(flow)
        for tick in ticks:
            self.scheduler.add_tick(tick)
        self.scheduler.add_tick(
            Tick("housekeeping", housekeeping_interval_s, self.runner.reap_interrupted)
        )

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        flows: Iterable[Flow] = (),
        job_registry: JobRegistry | None = None,
        inbox_registry: InboxRegistry | None = None,
        desk_id: str | None = None,
    ) -> Desk:
        """Build a desk with the job worker, the inbox processor and the API-call sink."""
        from westgear_desk.sync.apicalls import ApiCallSink
        from westgear_desk.sync.inbox import InboxProcessor, InboxRegistry
        from westgear_desk.sync.job_worker import JobWorker
        from westgear_desk.sync.jobs import JobRegistry
        from westgear_desk.sync.retry import PolicyResolver

        desk_id = desk_id or default_desk_id()
        policies = PolicyResolver.from_settings(settings.retry)
        lease_s = settings.retry.lease_s
        jobs = JobWorker(
            session_factory,
            job_registry or JobRegistry(),
            desk_id=desk_id,
            policies=policies,
            lease_s=lease_s,
        )
        inbox = InboxProcessor(
            session_factory,
            inbox_registry or InboxRegistry(),
            desk_id=desk_id,
            policies=policies,
            lease_s=lease_s,
        )
        desk: Desk
        ticks = [
            Tick(
                "jobs",
                settings.schedules.job_tick_s,
                lambda: drain(
                    lambda n: jobs.run_once(max_jobs=n), jobs.reclaim_expired, lambda: desk.stopping
                ),
                jobs.request_stop,
            ),
            Tick(
                "inbox",
                settings.schedules.inbox_tick_s,
                lambda: drain(
                    lambda n: inbox.run_once(max_events=n),
                    inbox.reclaim_expired,
                    lambda: desk.stopping,
                ),
                getattr(inbox, "request_stop", None),
            ),
        ]
        desk = cls(
            session_factory,
            settings.schedules,
            flows=flows,
            ticks=ticks,
            desk_id=desk_id,
            call_recorder=ApiCallSink(session_factory),
        )
        return desk

    @property
    def stopping(self) -> bool:
        return self.runner.stop_requested.is_set()

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def start(self) -> None:
        """Start scheduling flows and ticks in the background."""
        self.scheduler.start()
        _log.info(
            "desk %s started: flows %s, jobs %s",
            self.desk_id,
            ", ".join(self.flows.names()) or "none",
            ", ".join(self.scheduler.job_ids()),
        )

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop firing, let running work finish (or release its lease); True if all finished."""
        clean = self.scheduler.stop(timeout)
        _log.info("desk %s stopped%s", self.desk_id, "" if clean else " with work still running")
        return clean
