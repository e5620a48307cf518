"""The demo's kickoff never silently skips its failing run when the schedule is running it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from westgear_desk.demo import Demo
from westgear_desk.sync.scheduler import SlotOutcome


class Runner:
    """Answers BUSY while the flow's own scheduled run holds the lock, then runs it."""

    def __init__(self, outcomes: list[SlotOutcome]) -> None:
        self.outcomes = outcomes
        self.calls: list[Any] = []

    def run_manual(self, flow: Any) -> tuple[int, SlotOutcome]:
        self.calls.append(flow)
        return len(self.calls), self.outcomes.pop(0)


def demo_with(runner: Runner) -> Demo:
    demo = Demo()
    demo.desk = SimpleNamespace(  # type: ignore[assignment]
        stopping=False, runner=runner, flows=SimpleNamespace(get=lambda name: name)
    )
    return demo


def test_a_busy_flow_is_run_once_its_scheduled_run_ends() -> None:
    runner = Runner([SlotOutcome.BUSY, SlotOutcome.BUSY, SlotOutcome.FAILED])
    demo_with(runner)._run_when_free("stock_price")
    assert runner.calls == ["stock_price"] * 3


def test_a_free_flow_runs_once() -> None:
    runner = Runner([SlotOutcome.FAILED])
    demo_with(runner)._run_when_free("stock_price")
    assert runner.calls == ["stock_price"]
