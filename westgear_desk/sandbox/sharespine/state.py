"""The Sharespine sandbox's memory: seeded records built lazily, plus a small dict of changes.

A 50,000-product catalog is not held in memory by default: product `i` is rebuilt from the
seed on demand; only changed, fixed or removed products are stored. Lists keep a stable order
(catalog index), so offset paging stays consistent while records change.

`prerender()` (used by the catalog benchmark) keeps every seeded product's JSON instead, so
serving a page costs this process next to no CPU, as a remote Sharespine costs the desk none.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from westgear_desk.sandbox.seed import (
    SeedCustomer,
    SeedOrder,
    SeedPrice,
    SeedProduct,
    SeedStock,
    broken_kind_for,
    generate_customers,
    generate_orders,
    generate_product,
    valid_product,
)
from westgear_desk.sandbox.seed.catalog import local_id as make_local_id
from westgear_desk.sandbox.seed.catalog import money
from westgear_desk.sandbox.seed.records import MODIFIED_STEP, SEED_EPOCH

REMOTE_ID_BASE = 100000


class ModificationClock:
    """Strictly increasing whole-second timestamps, never behind the wall clock.

    Plugboard stamps `lastModified` in whole seconds; bumping by a second when two changes
    fall in the same second keeps "which change is newer" decidable for the sync.
    """

    def __init__(self) -> None:
        self._last = SEED_EPOCH
        self._lock = threading.Lock()

    def tick(self) -> datetime:
        """The stamp of a change made now."""
        with self._lock:
            now = datetime.now(UTC).replace(microsecond=0)
            self._last = max(now, self._last + timedelta(seconds=1))
            return self._last


class SharespineState:
    """Catalog, customers, orders and received log events of one sandbox."""

    def __init__(
        self, seed: int, products: int, broken_share: float, variants: int | None = None
    ) -> None:
        self.seed, self.count, self.broken_share, self.variants = (
            seed,
            products,
            broken_share,
            variants,
        )
        self.clock = ModificationClock()
        self._rendered: dict[int, bytes] = {}  # seeded JSON by index, filled by prerender()
        self.reset()

    def reset(self) -> None:
        """Back to the seeded state."""
        self.changed: dict[int, tuple[SeedProduct, datetime]] = {}
        self.removed: set[int] = set()
        self.log_events: list[dict[str, Any]] = []
        self._local_index: dict[str, int] | None = None
        sample = [self.seeded(i) for i in range(min(self.count, 200))]
        self.customers: list[SeedCustomer] = list(
            generate_customers(self.seed, max(20, min(2000, self.count // 3)))
        )
        n_orders = max(20, min(2000, self.count // 2))
        self.orders: list[tuple[SeedOrder, datetime]] = [
            (o, o.modified) for o in generate_orders(self.seed, n_orders, sample, self.customers)
        ]
        self._order_sample = sample

    # ------------------------------------------------------------------ products

    def seeded(self, index: int) -> SeedProduct:
        """Product `index` as the seed makes it."""
        return generate_product(self.seed, index, self.broken_share, self.variants)

    def product(self, index: int) -> tuple[SeedProduct, datetime] | None:
        """The current product `index` and its modification time, None if absent/removed."""
        if not 0 <= index < self.count or index in self.removed:
            return None
        if index in self.changed:
            return self.changed[index]
        product = self.seeded(index)
        return product, product.modified

    def product_body(self, index: int, render: Callable[[SeedProduct, datetime], bytes]) -> bytes:
        """The current product `index` as JSON; a seeded one comes prerendered when it was.

        Changed products are always rendered anew: the seed, and so the prerendered JSON of
        an index, never changes, but `changed` takes precedence over it.
        """
        if index not in self.changed:
            kept = self._rendered.get(index)
            if kept is not None:
                return kept
        current = self.product(index)
        if current is None:
            raise KeyError(index)
        return render(*current)

    def prerender(self, render: Callable[[SeedProduct, datetime], bytes]) -> None:
        """Render every seeded product once and keep its JSON (about 4 KB a product)."""
        for index in range(self.count):
            product = self.seeded(index)
            self._rendered[index] = render(product, product.modified)

    def index_of_remote(self, remote_id: str) -> int | None:
        """Catalog index of a product remoteId (`art-NNNNNN`), None if unknown."""
        prefix, _, number = remote_id.partition("-")
        if prefix != "art" or not number.isdigit():
            return None
        index = int(number) - REMOTE_ID_BASE
        return index if 0 <= index < self.count else None

    def index_of_local(self, local_id: str) -> int | None:
        """Catalog index of a product localId (the map is built on first use)."""
        if self._local_index is None:
            self._local_index = {
                make_local_id(self.seed, "product", i): i for i in range(self.count)
            }
        return self._local_index.get(local_id)

    def product_indices(self, since: datetime | None) -> list[int]:
        """Indices of present products modified at/after `since`, in catalog order."""
        if since is None:
            first = 0
        else:  # seeded stamps are SEED_EPOCH + i * MODIFIED_STEP, ascending with i
            steps = (since - SEED_EPOCH) / MODIFIED_STEP
            first = max(0, min(self.count, math.ceil(steps)))
        early = sorted(
            i
            for i, (_, when) in self.changed.items()
            if i < first and (since is None or when >= since)
        )
        tail: Iterator[int] = (i for i in range(first, self.count) if i not in self.removed)
        return [*early, *tail]

    def change(self, index: int, product: SeedProduct) -> datetime:
        """Store a changed product and stamp it; returns its new modification time."""
        when = self.clock.tick()
        self.changed[index] = (product, when)
        return when

    def set_stock(self, index: int, sku: str | None, location: str, quantity: int) -> datetime:
        """Set one variant's stock at one location (first variant when `sku` is None)."""
        product, _ = self._present(index)
        variants = list(product.variants)
        pos = self._variant_pos(product, sku)
        stock = [s for s in variants[pos].stock if s.location != location]
        stock.append(SeedStock(location, quantity))
        variants[pos] = replace(variants[pos], stock=tuple(sorted(stock, key=lambda s: s.location)))
        return self.change(index, replace(product, variants=tuple(variants)))

    def set_price(
        self, index: int, sku: str | None, price_list: str, incl_vat: Decimal
    ) -> datetime:
        """Set one variant's price in `price_list`, excl. VAT derived from the product's rate."""
        product, _ = self._present(index)
        rate = product.vat_rate if product.vat_rate is not None else Decimal(25)
        excl = money(incl_vat / (1 + rate / 100))
        variants = list(product.variants)
        pos = self._variant_pos(product, sku)
        prices = [p for p in variants[pos].prices if p.price_list != price_list]
        prices.insert(0, SeedPrice(price_list, "SEK", money(incl_vat), excl))
        variants[pos] = replace(variants[pos], prices=tuple(prices))
        return self.change(index, replace(product, variants=tuple(variants)))

    def fix(self, index: int) -> datetime:
        """Replace a product by its valid version."""
        self._present(index)
        return self.change(index, valid_product(self.seed, index, self.variants))

    def remove(self, index: int) -> None:
        """Remove a product from the catalog."""
        self._present(index)
        self.removed.add(index)
        self.changed.pop(index, None)

    def broken(self) -> list[tuple[int, SeedProduct]]:
        """Every present product that still carries a defect."""
        found = []
        for i in range(self.count):
            if i in self.removed:
                continue
            if i in self.changed:
                if self.changed[i][0].broken:
                    found.append((i, self.changed[i][0]))
            elif broken_kind_for(self.seed, i, self.broken_share) is not None:
                found.append((i, self.seeded(i)))
        return found

    def _present(self, index: int) -> tuple[SeedProduct, datetime]:
        current = self.product(index)
        if current is None:
            raise KeyError(index)
        return current

    @staticmethod
    def _variant_pos(product: SeedProduct, sku: str | None) -> int:
        if sku is None:
            return 0
        for pos, variant in enumerate(product.variants):
            if variant.sku == sku:
                return pos
        raise KeyError(sku)

    # ------------------------------------------------------------------ orders

    def add_orders(self, count: int) -> list[SeedOrder]:
        """Generate `count` new orders, stamped now."""
        new = list(
            generate_orders(
                self.seed, count, self._order_sample, self.customers, start=len(self.orders)
            )
        )
        for order in new:
            self.orders.append((order, self.clock.tick()))
        return new

    def order_items(self, since: datetime | None) -> list[tuple[SeedOrder, datetime]]:
        """Orders modified at/after `since`, in creation order."""
        return [(o, w) for o, w in self.orders if since is None or w >= since]

    def customer_items(self, since: datetime | None) -> list[SeedCustomer]:
        """Customers modified at/after `since`, in creation order."""
        if since is None:
            return self.customers
        stamps = [c.modified for c in self.customers]
        return self.customers[bisect_left(stamps, since) :]
