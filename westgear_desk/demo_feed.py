"""The demo's stream of business: new orders and stock changes made in the Sharespine sandbox.

Every `interval_s` the feed does what shop staff and customers would do on the other side of
the integration: a few new orders arrive and a few products' stock changes, through the
sandbox's admin endpoints. The desk's scheduled flows then pick them up like real changes.
It runs in its own daemon thread (no Qt), so the GUI thread never waits on it.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Final

import httpx

from westgear_desk.sandbox.sharespine.state import REMOTE_ID_BASE

_log = logging.getLogger(__name__)
ADMIN: Final = "/_sandbox/sharespine"
LOCATIONS: Final = ("GBG-MAIN", "STO-SHOP")


@dataclass
class FeedCounts:
    """What the feed has done so far (read by tests and the demo's log line)."""

    orders: int = 0
    stock_changes: int = 0
    failures: int = 0
    remote_ids: list[str] = field(default_factory=list)


class DemoFeed:
    """Creates orders and stock changes in the Sharespine sandbox on a timer thread."""

    def __init__(
        self,
        sandbox_url: str,
        *,
        interval_s: float = 6.0,
        seed: int = 2024,
        max_orders: int = 3,
        stock_changes: int = 2,
    ) -> None:
        self._http = httpx.Client(base_url=sandbox_url.rstrip("/"), timeout=10.0)
        self._rng = random.Random(seed)
        self._interval_s = interval_s
        self._max_orders, self._stock_changes = max_orders, stock_changes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts = FeedCounts()

    def discover_products(self, catalog_size: int) -> list[str]:
        """Remember the valid products (not broken) whose stock the feed may change."""
        response = self._http.get(f"{ADMIN}/broken")
        response.raise_for_status()
        broken = {item["remoteId"] for item in response.json()}
        candidates = (f"art-{REMOTE_ID_BASE + i}" for i in range(catalog_size))
        self.counts.remote_ids = [rid for rid in candidates if rid not in broken]
        return list(broken)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="demo-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self._interval_s)

    def step(self) -> None:
        """One round: 1..max_orders new orders, then a few stock changes."""
        try:
            self.add_orders(self._rng.randint(1, self._max_orders))
            for _ in range(self._stock_changes):
                self.change_stock()
        except httpx.HTTPError as exc:  # the sandbox is stopping, or a bug to log
            self.counts.failures += 1
            _log.warning("demo feed step failed: %s", exc)

    def add_orders(self, count: int) -> None:
        response = self._http.post(f"{ADMIN}/orders", json={"count": count})
        response.raise_for_status()
        self.counts.orders += count

    def change_stock(self) -> None:
        if not self.counts.remote_ids:
            return
        remote_id = self._rng.choice(self.counts.remote_ids)
        body = {"stock": self._rng.randint(0, 40), "locationId": self._rng.choice(LOCATIONS)}
        response = self._http.post(f"{ADMIN}/products/{remote_id}/stock", json=body)
        if response.status_code == 404:  # removed in the meantime
            return
        response.raise_for_status()
        self.counts.stock_changes += 1
