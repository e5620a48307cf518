"""Schedulable flows and their schedules, with slot times every desk computes identically.

A *flow* is a named piece of sync work (catalog, orders, tracking, ...) run on a schedule.
Desks coordinate through the database, not through APScheduler: each firing of a schedule
belongs to a *slot* whose time is derived from the schedule alone (never from the moment a
desk happens to wake), so every desk that fires for the same slot computes the same run key.

- Interval schedules fire at ``SLOT_EPOCH + k * interval`` (UTC). A desk that wakes a little
  late still lands in the same slot, because the slot is the interval floor of "now".
- Cron schedules fire at the cron times in their zone (Europe/Stockholm by default); the slot
  is the latest cron fire time at or before "now".

Later issues plug flows (and job handlers, webhook processors) in through `ENGINE_MODULES`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Final, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger
    from sqlalchemy.orm import Session, sessionmaker

    from westgear_desk.sync.runs import RunCounts

#: The fixed origin of interval slots. Any constant works as long as every desk uses the same.
SLOT_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DEFAULT_TIMEZONE: Final = "Europe/Stockholm"
#: How far back `CronSchedule.slot_at` looks for the latest fire time, widening step by step.
_CRON_LOOKBACKS: Final = (
    dt.timedelta(minutes=2),
    dt.timedelta(hours=2),
    dt.timedelta(days=2),
    dt.timedelta(days=32),
    dt.timedelta(days=400),
)

_log = logging.getLogger(__name__)


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("slot computation needs an aware datetime")


@dataclass(frozen=True, slots=True)
class IntervalSchedule:
    """Every `seconds` seconds, on slots aligned to `SLOT_EPOCH` (so desks agree)."""

    seconds: float

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"interval must be positive, got {self.seconds}")

    def slot_at(self, now: dt.datetime) -> dt.datetime:
        """Return the start of the slot `now` falls in (aware UTC)."""
        _require_aware(now)
        elapsed = (now - SLOT_EPOCH).total_seconds()
        index = int(elapsed // self.seconds)
        # Recompute from the index with microsecond rounding so the key is stable.
        offset = dt.timedelta(microseconds=round(index * self.seconds * 1_000_000))
        return SLOT_EPOCH + offset

    def trigger(self, timezone: str = DEFAULT_TIMEZONE) -> BaseTrigger:
        """Return the APScheduler trigger firing exactly on this schedule's slot times."""
        return IntervalTrigger(seconds=self.seconds, start_date=SLOT_EPOCH, timezone=timezone)

    def describe(self) -> str:
        return f"every {self.seconds:g} s"


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A crontab expression (``min hour day month weekday``) in a time zone."""

    expression: str
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        self.trigger()  # raises ValueError on a malformed expression or zone

    def trigger(self, timezone: str | None = None) -> BaseTrigger:
        """Return the APScheduler trigger (the schedule's own zone wins over `timezone`)."""
        del timezone
        return CronTrigger.from_crontab(self.expression, timezone=ZoneInfo(self.timezone))

    def slot_at(self, now: dt.datetime) -> dt.datetime:
        """Return the latest cron fire time at or before `now` (aware UTC).

        Raises ValueError when the expression has not fired in the last 400 days.
        """
        _require_aware(now)
        trigger = self.trigger()
        for lookback in _CRON_LOOKBACKS:
            latest = _latest_fire(trigger, now - lookback, now)
            if latest is not None:
                return latest.astimezone(dt.UTC)
        raise ValueError(f"cron schedule {self.expression!r} has no recent fire time")

    def describe(self) -> str:
        return f"cron '{self.expression}' ({self.timezone})"


def _latest_fire(trigger: BaseTrigger, start: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    latest: dt.datetime | None = None
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return latest


Schedule = IntervalSchedule | CronSchedule


def run_key(schedule_name: str, slot_at: dt.datetime) -> str:
    """Return the run key of a slot: the schedule name and the slot time in UTC ISO form."""
    _require_aware(slot_at)
    return f"{schedule_name}@{slot_at.astimezone(dt.UTC).isoformat()}"


@dataclass(frozen=True)
class RunContext:
    """What a flow receives for one run.

    `stop_requested` is set when the desk shuts down; a long flow should check it between
    batches and return early (its cursor only covers what it committed).
    """

    run_id: int
    schedule: str
    slot_at: dt.datetime
    desk_id: str
    session_factory: sessionmaker[Session]
    call_recorder: CallRecorder = NULL_RECORDER
    stop_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def stopping(self) -> bool:
        return self.stop_requested.is_set()


FlowFunction = Callable[[RunContext], "RunCounts"]


@dataclass(frozen=True)
class Flow:
    """A named schedulable flow. The name is also the schedule name and the advisory lock."""

    name: str
    schedule: Schedule
    run: FlowFunction
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or "@" in self.name:
            raise ValueError(f"invalid flow name {self.name!r} (non-empty, no '@')")


class FlowRegistry:
    """The flows one desk schedules, by name (a name may be registered once)."""

    def __init__(self) -> None:
        self._flows: dict[str, Flow] = {}

    def register(self, flow: Flow) -> Flow:
        """Add `flow`; raises ValueError if its name is taken."""
        if flow.name in self._flows:
            raise ValueError(f"flow {flow.name!r} is already registered")
        self._flows[flow.name] = flow
        return flow

    def get(self, name: str) -> Flow:
        """Return the flow called `name`; raises KeyError with the known names."""
        try:
            return self._flows[name]
        except KeyError:
            known = ", ".join(sorted(self._flows)) or "none"
            raise KeyError(f"unknown flow {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._flows)

    def __iter__(self) -> Iterator[Flow]:
        return iter(list(self._flows.values()))

    def __len__(self) -> int:
        return len(self._flows)


class ScheduleSettingsLike(Protocol):
    """The schedule part of the settings (`Settings.schedules`) the engine reads."""

    @property
    def job_tick_s(self) -> float: ...

    @property
    def inbox_tick_s(self) -> float: ...

    @property
    def stock_price_interval_s(self) -> float: ...

    @property
    def catalog_interval_s(self) -> float: ...

    @property
    def customers_orders_interval_s(self) -> float: ...

    @property
    def full_refresh_cron(self) -> str: ...

    @property
    def tracking_interval_s(self) -> float: ...

    @property
    def misfire_grace_s(self) -> float: ...

    @property
    def timezone(self) -> str: ...


def standard_schedules(settings: ScheduleSettingsLike) -> dict[str, Schedule]:
    """Return the configured schedule of each standard flow, by flow name.

    Flow modules use these names so an admin's settings reach the right flow.
    """
    return {
        "stock_price": IntervalSchedule(settings.stock_price_interval_s),
        "catalog": IntervalSchedule(settings.catalog_interval_s),
        "customers_orders": IntervalSchedule(settings.customers_orders_interval_s),
        "full_refresh": CronSchedule(settings.full_refresh_cron, settings.timezone),
        "tracking": IntervalSchedule(settings.tracking_interval_s),
    }


@dataclass(frozen=True)
class FlowEnvironment:
    """What a flow module gets when it registers its flows."""

    settings: object
    schedules: dict[str, Schedule]
    session_factory: sessionmaker[Session]
    call_recorder: CallRecorder = NULL_RECORDER


#: Modules that plug work into the engine. Each may expose any of
#: ``register_flows(registry: FlowRegistry, env: FlowEnvironment)``,
#: ``register_jobs(registry: JobRegistry, env: FlowEnvironment)`` and
#: ``register_inbox(registry: InboxRegistry, env: FlowEnvironment)``. An issue that adds a flow,
#: a job kind or a webhook processor adds its module here; the worker command, the GUI and the
#: demo then all run it.
ENGINE_MODULES: list[str] = ["westgear_desk.sync.sharespine"]


def engine_modules(names: Sequence[str] | None = None) -> list[ModuleType]:
    """Import the engine modules (default `ENGINE_MODULES`); a missing one is an error."""
    return [importlib.import_module(name) for name in (ENGINE_MODULES if names is None else names)]


def contribute(
    hook: str, registry: object, env: FlowEnvironment, modules: list[ModuleType]
) -> None:
    """Call ``module.<hook>(registry, env)`` on every module that defines `hook`."""
    for module in modules:
        register = getattr(module, hook, None)
        if register is not None:
            register(registry, env)
            _log.debug("%s: %s contributed", hook, module.__name__)


def build_flow_registry(
    env: FlowEnvironment, modules: list[ModuleType] | None = None
) -> FlowRegistry:
    """Return a registry filled by the ``register_flows`` hook of every engine module."""
    registry = FlowRegistry()
    contribute("register_flows", registry, env, engine_modules() if modules is None else modules)
    return registry
