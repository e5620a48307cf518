"""When a failed job or inbox event is tried again, and when it is given up as dead.

A `RetryPolicy` is a small value object: the delay before each further attempt (after the
first one), a jitter share so that many desks do not retry in lockstep, and a cap. The
default schedule is the one webhook platforms use: immediately, 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 10 h; after the last entry the work is dead ("needs action").

Policies are per integration and per job kind (``klarna`` or ``klarna.capture``), set in
settings; `PolicyResolver` picks the most specific one.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

DEFAULT_SCHEDULE_S: Final[tuple[float, ...]] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
DEFAULT_JITTER: Final = 0.1
#: No delay is ever longer than this, even when a provider's Retry-After asks for more.
DEFAULT_MAX_DELAY_S: Final = 86_400.0


@dataclass(frozen=True)
class RetryPolicy:
    """The schedule of further attempts after a retryable failure.

    `schedule_s[i]` is the delay before attempt ``i + 2``; a policy therefore allows
    ``len(schedule_s) + 1`` attempts in all. The schedule must be non-decreasing.
    """

    schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE_S
    jitter: float = DEFAULT_JITTER
    max_delay_s: float = DEFAULT_MAX_DELAY_S

    def __post_init__(self) -> None:
        schedule = tuple(float(s) for s in self.schedule_s)
        object.__setattr__(self, "schedule_s", schedule)
        if any(not math.isfinite(s) or s < 0 for s in schedule):
            raise ValueError(f"retry delays must be finite and >= 0, got {schedule}")
        if any(later < earlier for earlier, later in itertools.pairwise(schedule)):
            raise ValueError(f"retry schedule must not decrease, got {schedule}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")
        if not self.max_delay_s > 0 or (schedule and max(schedule) > self.max_delay_s):
            raise ValueError(f"max_delay_s {self.max_delay_s} must cover the schedule")

    @property
    def max_attempts(self) -> int:
        """How many attempts the policy allows in all (the first one included)."""
        return len(self.schedule_s) + 1

    def base_delay(self, attempt: int) -> float | None:
        """The un-jittered delay after failed attempt number `attempt` (1-based), None if dead."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        if attempt > len(self.schedule_s):
            return None
        return self.schedule_s[attempt - 1]

    def delay_for(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait after failed attempt `attempt` before the next one; None = dead.

        The schedule's delay is spread by up to ±`jitter` of itself; a provider's
        `retry_after` is honoured (the longer of the two wins); the result never exceeds
        `max_delay_s`.
        """
        base = self.base_delay(attempt)
        if base is None:
            return None
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        delay = base * (1.0 + spread)
        if retry_after is not None and math.isfinite(retry_after):
            delay = max(delay, retry_after)
        return min(max(delay, 0.0), self.max_delay_s)

    @classmethod
    def from_settings(cls, retry: RetrySettingsLike, key: str | None = None) -> RetryPolicy:
        """Build the policy for `key` ("klarna" or "klarna.capture"; None = the default).

        An override may set only some fields; the rest come from the integration's
        override (for a kind) and then from the general settings.
        """
        schedule = tuple(retry.schedule_s)
        jitter = float(retry.jitter)
        layers = [key.split(".", 1)[0], key] if key and "." in key else [key] if key else []
        for layer in layers:
            override = _lookup(retry.overrides, layer)
            if override is None:
                continue
            o_schedule = _field(override, "schedule_s")
            o_jitter = _field(override, "jitter")
            schedule = tuple(o_schedule) if o_schedule is not None else schedule
            jitter = float(o_jitter) if o_jitter is not None else jitter
        return cls(schedule_s=schedule, jitter=jitter)


class RetrySettingsLike(Protocol):
    """The part of `Settings.retry` a policy is built from."""

    @property
    def schedule_s(self) -> Any: ...
    @property
    def jitter(self) -> float: ...
    @property
    def overrides(self) -> Any: ...


def _lookup(overrides: Any, key: str) -> Any:
    if not overrides:
        return None
    if isinstance(overrides, Mapping):
        return overrides.get(key)
    return getattr(overrides, key, None)


def _field(override: Any, name: str) -> Any:
    if isinstance(override, Mapping):
        return override.get(name)
    return getattr(override, name, None)


@dataclass(frozen=True)
class PolicyResolver:
    """Picks the policy of a kind ``integration.action``: the kind, its integration, the default."""

    default: RetryPolicy = field(default_factory=RetryPolicy)
    overrides: Mapping[str, RetryPolicy] = field(default_factory=dict)

    def for_kind(self, kind: str) -> RetryPolicy:
        """Return the most specific policy for `kind` (e.g. "klarna.capture")."""
        exact = self.overrides.get(kind)
        if exact is not None:
            return exact
        integration = kind.split(".", 1)[0]
        return self.overrides.get(integration, self.default)

    @classmethod
    def from_settings(cls, retry: RetrySettingsLike) -> PolicyResolver:
        """Build the resolver from `Settings.retry` and its overrides."""
        keys = list(retry.overrides.keys()) if isinstance(retry.overrides, Mapping) else []
        return cls(
            default=RetryPolicy.from_settings(retry),
            overrides={key: RetryPolicy.from_settings(retry, key) for key in keys},
        )
