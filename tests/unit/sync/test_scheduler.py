"""The desk scheduler's own behaviour: locks, ticks, coalescing, and a stop that waits for work."""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import sessionmaker

from westgear_desk.sync.desk import drain
from westgear_desk.sync.locks import LocalLocks, lock_key
from westgear_desk.sync.runs import RunCounts, summarize_error
from westgear_desk.sync.scheduler import DeskScheduler, FlowRunner, Tick


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def _scheduler(**kwargs) -> DeskScheduler:
    runner = FlowRunner(sessionmaker(), LocalLocks(), desk_id="unit")
    return DeskScheduler(runner, **kwargs)


def test_lock_keys_are_stable_signed_64_bit_and_distinct() -> None:
    assert lock_key("catalog") == lock_key("catalog")
    assert lock_key("catalog") != lock_key("orders")
    assert -(2**63) <= lock_key("catalog") < 2**63
    # Pinned: a change would let old and new desks run the same schedule at once.
    assert lock_key("catalog") == -962394388739132652


def test_local_lock_is_exclusive_while_held_and_free_after() -> None:
    locks = LocalLocks()
    with locks.hold("catalog") as first:
        assert first
        with locks.hold("catalog") as second:
            assert not second
        with locks.hold("orders") as other:
            assert other
    with locks.hold("catalog") as again:
        assert again


def test_ticks_fire_at_once_and_repeat() -> None:
    calls: list[float] = []
    scheduler = _scheduler()
    scheduler.add_tick(Tick("t", 0.2, lambda: calls.append(time.monotonic())))
    started = time.monotonic()
    scheduler.start()
    try:
        _wait_for(lambda: len(calls) >= 3)
    finally:
        assert scheduler.stop(5)
    assert calls[0] - started < 1.0


def test_stop_waits_for_running_work_and_calls_stop_hooks() -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    stop_hook_called = threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(10)
        finished.set()

    def request_stop() -> None:
        stop_hook_called.set()
        release.set()  # like a job worker finishing its current job when asked

    scheduler = _scheduler()
    scheduler.add_tick(Tick("slow", 60, slow, request_stop))
    scheduler.start()
    _wait_for(entered.is_set)
    assert scheduler.stop(10)
    assert stop_hook_called.is_set()
    assert finished.is_set()
    assert not scheduler.running


def test_stop_reports_work_that_outlives_the_timeout() -> None:
    entered, release = threading.Event(), threading.Event()

    def stuck() -> None:
        entered.set()
        release.wait(10)

    scheduler = _scheduler()
    scheduler.add_tick(Tick("stuck", 60, stuck))
    scheduler.start()
    _wait_for(entered.is_set)
    try:
        assert scheduler.stop(0.3) is False
    finally:
        release.set()


def test_max_one_instance_per_job() -> None:
    active, peak = [0], [0]
    guard = threading.Lock()

    def slow() -> None:
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.35)
        with guard:
            active[0] -= 1

    counter = [0]

    def counted() -> None:
        counter[0] += 1
        slow()

    scheduler = _scheduler(max_workers=4)
    scheduler.add_tick(Tick("overlapping", 0.1, counted))
    scheduler.start()
    _wait_for(lambda: counter[0] >= 3)
    assert scheduler.stop(5)
    assert peak[0] == 1


def test_drain_claims_batches_until_short_and_reclaims_first() -> None:
    order: list[str] = []
    batches = iter([50, 50, 7, 50])

    def run_once(n: int) -> int:
        order.append(f"run{n}")
        return next(batches)

    def reclaim() -> int:
        order.append("reclaim")
        return 0

    assert drain(run_once, reclaim, lambda: False) == 107
    assert order == ["reclaim", "run50", "run50", "run50"]
    assert drain(run_once, reclaim, lambda: True) == 0


def test_run_counts_round_trip_and_sum() -> None:
    counts = RunCounts(fetched=10, written=8, quarantined=2)
    assert RunCounts.from_dict(counts.to_dict()) == counts
    assert RunCounts.from_dict({"fetched": 1, "unknown": 5}) == RunCounts(fetched=1)
    assert (counts + RunCounts(fetched=1, failed=1)).to_dict()["fetched"] == 11
    assert counts.summary() == "fetched=10 written=8 quarantined=2"
    assert RunCounts().summary() == "-"


def test_error_summary_is_redacted_and_bounded() -> None:
    summary = summarize_error(
        ValueError("customer anna@example.se token=abcDEF1234567890abcdefGHIJ")
    )
    assert "anna@example.se" not in summary
    assert "abcDEF1234567890abcdefGHIJ" not in summary
    assert summary.startswith("ValueError:")
    assert len(summarize_error("x" * 10_000)) <= 2001
