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
from westgear_desk.sync.flows import (
    Flow,
    FlowEnvironment,
    FlowRegistry,
    ScheduleSettingsLike,
    build_flow_registry,
    contribute,
    engine_modules,
    standard_schedules,
)
from westgear_desk.sync.locks import ScheduleLocks, locks_for
from westgear_desk.sync.scheduler import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_STALE_AFTER,
    DeskScheduler,
    FlowRunner,
    Tick,
)

if TYPE_CHECKING:
    from types import ModuleType

    from westgear_desk.settings import Settings

#: How many jobs / inbox events one tick claims before it checks again.
BATCH: Final = 50
#: How often dead desks' runs are looked for.
HOUSEKEEPING_INTERVAL_S: Final = 60.0
DESK_ID_LIMIT: Final = 64
_log = logging.getLogger(__name__)


def default_desk_id(name: str | None = None) -> str:
    """Return this process's desk id: the desk name (default the host) and the process id."""
    base = name or socket.gethostname().split(".")[0] or "desk"
    return f"{base}:{os.getpid()}"[-DESK_ID_LIMIT:]


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
        on_stop: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.desk_id = desk_id or default_desk_id()
        self.session_factory = session_factory
        #: Hand this to the integration clients so their calls land in `api_calls`.
        self.call_recorder = call_recorder
        self._on_stop = list(on_stop)
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
        modules: Sequence[str] | None = None,
        desk_id: str | None = None,
    ) -> Desk:
        """Build the full desk: flows, job worker and inbox processor from the engine modules
        (default `flows.ENGINE_MODULES`), and the API-call sink their clients report to."""
        from westgear_desk.sync.apicalls import ApiCallSink

        desk_id = desk_id or default_desk_id(settings.desk_name)
        sink = ApiCallSink(session_factory)
        env = FlowEnvironment(
            settings=settings,
            schedules=standard_schedules(settings.schedules),
            session_factory=session_factory,
            call_recorder=sink,
        )
        loaded = engine_modules(modules)
        desk: Desk
        ticks = _worker_ticks(settings, env, loaded, desk_id, lambda: desk.stopping)
        desk = cls(
            session_factory,
            settings.schedules,
            flows=build_flow_registry(env, loaded),
            ticks=ticks,
            desk_id=desk_id,
            call_recorder=sink,
            on_stop=[sink.close],
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
        for hook in self._on_stop:  # e.g. flush the API-call log once nothing records any more
            hook()
        _log.info("desk %s stopped%s", self.desk_id, "" if clean else " with work still running")
        return clean


def _worker_ticks(
    settings: Settings,
    env: FlowEnvironment,
    modules: list[ModuleType],
    desk_id: str,
    stopping: Callable[[], bool],
) -> list[Tick]:
    """The job-worker and inbox ticks, with handlers from the engine modules' hooks."""
    from westgear_desk.sync.inbox_worker import InboxProcessor, InboxRegistry
    from westgear_desk.sync.job_worker import JobWorker
    from westgear_desk.sync.jobs import JobRegistry
    from westgear_desk.sync.retry import PolicyResolver

    job_registry, inbox_registry = JobRegistry(), InboxRegistry()
    contribute("register_jobs", job_registry, env, modules)
    contribute("register_inbox", inbox_registry, env, modules)
    policies = PolicyResolver.from_settings(settings.retry)
    factory, lease_s = env.session_factory, settings.retry.lease_s
    jobs = JobWorker(factory, job_registry, desk_id=desk_id, policies=policies, lease_s=lease_s)
    inbox = InboxProcessor(
        factory, inbox_registry, desk_id=desk_id, policies=policies, lease_s=lease_s
    )

    def jobs_tick() -> int:
        return drain(lambda n: jobs.run_once(max_jobs=n), jobs.reclaim_expired, stopping)

    def inbox_tick() -> int:
        return drain(lambda n: inbox.run_once(max_events=n), inbox.reclaim_expired, stopping)

    return [
        Tick("jobs", settings.schedules.job_tick_s, jobs_tick, jobs.request_stop),
        Tick("inbox", settings.schedules.inbox_tick_s, inbox_tick, inbox.request_stop),
    ]
