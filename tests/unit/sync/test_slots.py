"""Slot times: every desk computes the same slot for a firing, whenever it wakes within it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.sync.flows import (
    SLOT_EPOCH,
    CronSchedule,
    Flow,
    FlowRegistry,
    IntervalSchedule,
    RunContext,
    run_key,
    standard_schedules,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
aware_times = st.datetimes(
    min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2035, 1, 1), timezones=st.just(dt.UTC)
)


@given(now=aware_times, seconds=st.sampled_from([1, 2, 5, 60, 120, 300, 900, 1800, 86400]))
def test_interval_slot_contains_now_and_is_aligned(now: dt.datetime, seconds: int) -> None:
    slot = IntervalSchedule(seconds).slot_at(now)
    assert slot <= now < slot + dt.timedelta(seconds=seconds)
    assert (slot - SLOT_EPOCH).total_seconds() % seconds == 0


@given(now=aware_times, late=st.floats(min_value=0, max_value=0.999))
def test_a_late_desk_lands_in_the_same_slot(now: dt.datetime, late: float) -> None:
    schedule = IntervalSchedule(60)
    slot = schedule.slot_at(now)
    later = slot + dt.timedelta(seconds=60 * late)
    assert schedule.slot_at(later) == slot
    assert run_key("catalog", schedule.slot_at(later)) == run_key("catalog", slot)


@given(now=aware_times)
def test_interval_trigger_fires_exactly_on_slot_boundaries(now: dt.datetime) -> None:
    schedule = IntervalSchedule(300)
    fire = schedule.trigger().get_next_fire_time(None, now)
    assert fire is not None
    assert schedule.slot_at(fire) == fire.astimezone(dt.UTC)
    assert fire - now < dt.timedelta(seconds=300)


def test_slot_in_other_zone_gives_the_same_key() -> None:
    now = dt.datetime(2026, 3, 29, 1, 59, 30, tzinfo=dt.UTC)
    schedule = IntervalSchedule(120)
    assert run_key("x", schedule.slot_at(now)) == run_key(
        "x", schedule.slot_at(now.astimezone(STOCKHOLM))
    )
    assert run_key("x", schedule.slot_at(now)) == "x@2026-03-29T01:58:00+00:00"


def test_cron_slot_is_latest_fire_time_in_stockholm() -> None:
    schedule = CronSchedule("30 2 * * *")  # 02:30 Stockholm every night
    now = dt.datetime(2026, 1, 15, 12, 0, tzinfo=STOCKHOLM)
    assert schedule.slot_at(now) == dt.datetime(2026, 1, 15, 2, 30, tzinfo=STOCKHOLM)
    just_before = dt.datetime(2026, 1, 15, 2, 29, 59, tzinfo=STOCKHOLM)
    assert schedule.slot_at(just_before) == dt.datetime(2026, 1, 14, 2, 30, tzinfo=STOCKHOLM)
    exactly = dt.datetime(2026, 1, 15, 2, 30, tzinfo=STOCKHOLM)
    assert schedule.slot_at(exactly) == exactly


def test_cron_slot_follows_summer_time() -> None:
    schedule = CronSchedule("0 3 * * *")
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert schedule.slot_at(summer) == dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)
    assert schedule.slot_at(winter) == dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)


def test_sparse_cron_found_far_back() -> None:
    schedule = CronSchedule("0 4 1 1 *")  # once a year
    now = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    assert schedule.slot_at(now) == dt.datetime(2026, 1, 1, 4, 0, tzinfo=STOCKHOLM)


def test_frequent_cron_slot() -> None:
    schedule = CronSchedule("*/5 * * * *")
    now = dt.datetime(2026, 5, 5, 10, 7, 3, tzinfo=dt.UTC)
    assert schedule.slot_at(now) == dt.datetime(2026, 5, 5, 10, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize("bad", ["", "61 * * * *", "not cron"])
def test_malformed_cron_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        CronSchedule(bad)


def test_naive_times_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        IntervalSchedule(60).slot_at(dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        IntervalSchedule(0)


def _noop(ctx: RunContext) -> object:
    raise AssertionError("not run")


def test_registry_refuses_duplicates_and_names_known_flows() -> None:
    registry = FlowRegistry()
    registry.register(Flow("catalog", IntervalSchedule(60), _noop))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already"):
        registry.register(Flow("catalog", IntervalSchedule(30), _noop))  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="catalog"):
        registry.get("orders")
    with pytest.raises(ValueError):
        Flow("a@b", IntervalSchedule(1), _noop)  # type: ignore[arg-type]


def test_standard_schedules_come_from_settings() -> None:
    from westgear_desk.settings import ScheduleSettings

    settings = ScheduleSettings(catalog_interval_s=600, full_refresh_cron="15 1 * * *")
    schedules = standard_schedules(settings)
    assert schedules["catalog"] == IntervalSchedule(600)
    assert schedules["full_refresh"] == CronSchedule("15 1 * * *", settings.timezone)
    assert set(schedules) == {
        "stock_price",
        "catalog",
        "customers_orders",
        "full_refresh",
        "tracking",
    }
