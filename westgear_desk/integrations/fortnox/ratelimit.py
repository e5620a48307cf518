"""A thread-safe sliding-window limiter per Fortnox token, so no desk thread ever earns a 429.

Fortnox allows 25 requests per 5 s sliding window per access token (client id + tenant) [V].
The client budget is a little lower and a little longer than the real window, so requests
that leave together but reach Fortnox with different latencies still fit inside its window.
Every thread of the desk that talks as the same tenant shares one limiter (`shared_limiter`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from westgear_desk.errors import RateLimitedError

FORTNOX_LIMIT = 25  # requests [V]
FORTNOX_WINDOW_S = 5.0  # seconds [V]
CLIENT_LIMIT = 24  # our budget: one request of headroom ...
CLIENT_WINDOW_S = 5.3  # ... and 0.3 s for latency differences between requests
DEFAULT_MAX_WAIT_S = 30.0


class SlidingWindowLimiter:
    """At most `max_calls` acquisitions in any `period` seconds, across all threads.

    `acquire` blocks until a slot is free; if that would take longer than `max_wait`
    seconds in total it raises RateLimitedError instead (the caller retries later).
    `pause` makes every thread wait, e.g. for a provider's Retry-After.
    """

    def __init__(
        self,
        max_calls: int = CLIENT_LIMIT,
        period: float = CLIENT_WINDOW_S,
        *,
        max_wait: float = DEFAULT_MAX_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError("max_calls must be >= 1 and period > 0")
        self.max_calls = max_calls
        self.period = period
        self.max_wait = max_wait
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._paused_until = 0.0
        self._changed = threading.Condition()

    def acquire(self) -> float:
        """Take one slot, waiting as needed; return the seconds waited.

        Raises RateLimitedError (retry_after = the remaining wait) when the wait would
        exceed `max_wait`.
        """
        started = self._clock()
        with self._changed:
            while True:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._stamps.append(now)
                    return now - started
                if now - started + wait > self.max_wait:
                    raise RateLimitedError(
                        f"Fortnox rate limit: no request slot within {self.max_wait:.0f} s",
                        retry_after=wait,
                        system="fortnox",
                        error_code="client_rate_limit",
                    )
                self._changed.wait(timeout=wait)

    def pause(self, seconds: float) -> None:
        """Let no thread send for `seconds` from now (extends, never shortens, a pause)."""
        with self._changed:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
            self._changed.notify_all()

    def in_window(self) -> int:
        """How many slots were taken in the current window."""
        with self._changed:
            self._expire(self._clock())
            return len(self._stamps)

    def _expire(self, now: float) -> None:
        while self._stamps and self._stamps[0] <= now - self.period:
            self._stamps.popleft()

    def _wait_needed(self, now: float) -> float:
        self._expire(now)
        wait = self._paused_until - now
        if len(self._stamps) >= self.max_calls:
            wait = max(wait, self._stamps[0] + self.period - now)
        return wait


_registry: dict[str, SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: str) -> SlidingWindowLimiter:
    """The process-wide limiter for one token identity (e.g. ``client_id:tenant_id``)."""
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = SlidingWindowLimiter()
        return limiter
