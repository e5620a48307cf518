"""Property tests of the retry schedule: monotonic, capped, jitter bounded, Retry-After honoured."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.sync.retry import DEFAULT_SCHEDULE_S, PolicyResolver, RetryPolicy

schedules = st.lists(
    st.floats(min_value=0, max_value=50_000, allow_nan=False), min_size=0, max_size=12
).map(lambda xs: tuple(sorted(xs)))
jitters = st.floats(min_value=0, max_value=0.99)


def test_default_schedule_is_the_documented_one() -> None:
    policy = RetryPolicy()
    assert policy.schedule_s == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert policy.schedule_s == DEFAULT_SCHEDULE_S
    assert policy.max_attempts == 9
    assert policy.delay_for(1, rng=random.Random(1)) == 0  # "immediately" has no jitter
    assert policy.delay_for(9) is None


@given(schedule=schedules, jitter=jitters, seed=st.integers())
def test_jittered_delay_stays_within_its_share(
    schedule: tuple[float, ...], jitter: float, seed: int
) -> None:
    policy = RetryPolicy(schedule_s=schedule, jitter=jitter)
    rng = random.Random(seed)
    for attempt, base in enumerate(schedule, start=1):
        delay = policy.delay_for(attempt, rng=rng)
        assert delay is not None
        assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9


@given(schedule=schedules, jitter=jitters)
def test_base_schedule_is_monotonic_and_ends_in_dead(
    schedule: tuple[float, ...], jitter: float
) -> None:
    policy = RetryPolicy(schedule_s=schedule, jitter=jitter)
    bases = [policy.base_delay(a) for a in range(1, policy.max_attempts)]
    assert bases == sorted(bases)  # type: ignore[type-var]
    assert not schedule or policy.delay_for(len(schedule)) is not None
    for extra in range(5):
        assert policy.delay_for(policy.max_attempts + extra) is None


@given(
    schedule=schedules,
    jitter=jitters,
    retry_after=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)),
    seed=st.integers(),
)
def test_delay_is_capped_and_honours_retry_after(
    schedule: tuple[float, ...], jitter: float, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(schedule_s=schedule, jitter=jitter)
    rng = random.Random(seed)
    for attempt in range(1, len(schedule) + 1):
        delay = policy.delay_for(attempt, retry_after=retry_after, rng=rng)
        assert delay is not None
        assert 0 <= delay <= policy.max_delay_s
        if retry_after is not None:
            assert delay >= min(retry_after, policy.max_delay_s)


def test_retry_after_longer_than_schedule_wins_and_shorter_does_not() -> None:
    policy = RetryPolicy(schedule_s=(5, 300), jitter=0)
    assert policy.delay_for(1, retry_after=42) == 42
    assert policy.delay_for(2, retry_after=42) == 300
    assert policy.delay_for(3, retry_after=42) is None  # Retry-After never revives a dead job


@pytest.mark.parametrize(
    "kwargs",
    [
        {"schedule_s": (10, 5)},
        {"schedule_s": (-1,)},
        {"schedule_s": (float("inf"),)},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"schedule_s": (100,), "max_delay_s": 50},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().delay_for(0)


@dataclass
class _Override:
    schedule_s: list[float] | None = None
    jitter: float | None = None


@dataclass
class _RetrySettings:
    schedule_s: list[float] = field(default_factory=lambda: [1, 2, 3])
    jitter: float = 0.2
    lease_s: float = 60
    overrides: dict[str, Any] = field(default_factory=dict)


def test_resolver_prefers_kind_then_integration_then_default() -> None:
    settings = _RetrySettings(
        overrides={
            "klarna": _Override(schedule_s=[0, 10]),
            "klarna.capture": {"jitter": 0.0},
        }
    )
    resolver = PolicyResolver.from_settings(settings)
    assert resolver.for_kind("fortnox.invoice") == RetryPolicy((1, 2, 3), 0.2)
    assert resolver.for_kind("klarna.refund") == RetryPolicy((0, 10), 0.2)
    assert resolver.for_kind("klarna.capture") == RetryPolicy((0, 10), 0.0)  # inherits klarna
    assert resolver.for_kind("klarna") == RetryPolicy((0, 10), 0.2)


def test_resolver_without_settings_uses_the_default_schedule() -> None:
    assert PolicyResolver().for_kind("smtp.send") == RetryPolicy()


def test_resolver_from_the_real_settings_file(tmp_path: Path) -> None:
    from westgear_desk.settings import load_settings

    path = tmp_path / "settings.toml"
    path.write_text(
        "[retry]\n"
        "schedule_s = [0, 10, 60]\n"
        "jitter = 0.2\n"
        "[retry.overrides]\n"
        "fortnox = [0, 30]\n"
        '"klarna.capture" = { jitter = 0.0 }\n',
        encoding="utf-8",
    )
    resolver = PolicyResolver.from_settings(load_settings(path).retry)
    assert resolver.for_kind("smtp.send") == RetryPolicy((0, 10, 60), 0.2)
    assert resolver.for_kind("fortnox.invoice") == RetryPolicy((0, 30), 0.2)
    assert resolver.for_kind("klarna.capture") == RetryPolicy((0, 10, 60), 0.0)
    assert resolver.for_kind("klarna.refund") == RetryPolicy((0, 10, 60), 0.2)
