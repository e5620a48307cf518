"""End to end over real HTTP: a stock change in the Sharespine sandbox reaches our stock table.

sandbox stock change -> signed notification -> receiver (uvicorn) -> inbox -> the catalog's
inbox processor (sync/sharespine) -> the product re-fetched -> stock_levels updated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.credentials import env_var_for
from westgear_desk.db.enums import InboxStatus
from westgear_desk.db.models import InboxEvent, StockLevel, StockLocation, Variant
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.sandbox import sharespine
from westgear_desk.sandbox.common import FaultSettings, SandboxConfig
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.settings import load_settings
from westgear_desk.sync.flows import FlowEnvironment, standard_schedules
from westgear_desk.sync.inbox import InboxProcessor, InboxRegistry
from westgear_desk.sync.retry import PolicyResolver
from westgear_desk.sync.runs import start_manual_run
from westgear_desk.sync.sharespine import register_inbox
from westgear_desk.sync.sharespine.catalog import full_refresh
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync
from westgear_desk.webhooks.app import ReceiverConfig, build_app
from westgear_desk.webhooks.secrets import lookup


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll `condition` until it holds (a webhook arrives asynchronously); fail after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.05)


def inbox(factory: sessionmaker[Session]) -> list[InboxEvent]:
    with factory() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def stock_of(factory: sessionmaker[Session], sku: str, location: str) -> Decimal | None:
    with factory() as session:
        return session.scalar(
            select(StockLevel.quantity)
            .join(Variant, StockLevel.variant_id == Variant.id)
            .join(StockLocation, StockLevel.location_id == StockLocation.id)
            .where(Variant.sku == sku, StockLocation.code == location)
        )


class Wired:
    """Receiver and a Sharespine sandbox posting its notifications to it."""

    def __init__(self, factory: sessionmaker[Session], receiver_url: str, hub: SandboxServer,
                 credentials: dict[str, str]) -> None:  # fmt: skip
        self.factory, self.receiver_url, self.hub, self.credentials = (
            factory, receiver_url, hub, credentials
        )  # fmt: skip

    def client(self) -> SharespineClient:
        c = self.credentials
        creds = SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"])
        return SharespineClient(self.hub.url, creds)


@pytest.fixture
def wired(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Wired]:
    secret = sharespine.CREDENTIALS["webhook_secret"]
    app = build_app(ReceiverConfig(session_factory, lookup({"sharespine": secret})))
    with SandboxServer(app) as receiver:
        config = SandboxConfig(
            seed=11,
            products=12,
            broken_share=0.0,
            faults=FaultSettings(),
            webhook_url=f"{receiver.url}/webhooks/sharespine",
        )
        system = sharespine.build(config)
        with SandboxServer(system.app) as hub:
            for name in ("tenant", "connection_id", "username", "password"):
                monkeypatch.setenv(env_var_for(f"sharespine.{name}"), system.credentials[name])
            yield Wired(session_factory, receiver.url, hub, system.credentials)


def change_stock(wired: Wired, remote_id: str, sku: str, quantity: int) -> None:
    """What a person does in Sharespine (the sandbox's admin API, over HTTP)."""
    httpx.post(
        f"{wired.hub.url}/_sandbox/sharespine/products/{remote_id}/stock",
        json={"stock": quantity, "locationId": "GBG-MAIN", "sku": sku},
        timeout=10,
    ).raise_for_status()


def _processor(wired: Wired) -> InboxProcessor:
    settings = load_settings(integrations={"sharespine": {"base_url": f"{wired.hub.url}/api"}})
    env = FlowEnvironment(settings, standard_schedules(settings.schedules), wired.factory)
    registry = InboxRegistry()
    register_inbox(registry, env)
    return InboxProcessor(
        wired.factory, registry, desk_id="e2e", policies=PolicyResolver(), rng=random.Random(5)
    )


def test_stock_change_in_sharespine_updates_our_stock(wired: Wired) -> None:
    with wired.client() as client:
        run_id = start_manual_run(wired.factory, schedule="full_refresh", desk_id="e2e")
        full_refresh(CatalogSync(wired.factory, client), run_id)
        product = client.iter_products().__next__().model
    assert product is not None
    sku = product.variants[0].sku
    assert sku is not None
    assert stock_of(wired.factory, sku, "GBG-MAIN") != Decimal(42)

    change_stock(wired, product.remote_id or "", sku, 42)

    wait_until(lambda: len(inbox(wired.factory)) == 1)
    [event] = inbox(wired.factory)
    assert event.signature_ok is True
    assert event.event_type == "stock_changed"

    assert _processor(wired).run_once() == 1
    [event] = inbox(wired.factory)
    assert event.status == InboxStatus.PROCESSED
    assert stock_of(wired.factory, sku, "GBG-MAIN") == Decimal(42)


def test_duplicate_notifications_apply_once(wired: Wired) -> None:
    with wired.client() as client:
        run_id = start_manual_run(wired.factory, schedule="full_refresh", desk_id="e2e")
        full_refresh(CatalogSync(wired.factory, client), run_id)
        product = client.iter_products().__next__().model
    assert product is not None
    httpx.put(
        f"{wired.hub.url}/_sandbox/faults", json={"webhook_duplicates": 4}, timeout=10
    ).raise_for_status()
    sku = product.variants[0].sku or ""
    change_stock(wired, product.remote_id or "", sku, 17)

    def delivered() -> int:
        listed = httpx.get(f"{wired.hub.url}/_sandbox/sharespine/webhooks", timeout=10).json()
        return sum(1 for d in listed if d["status"] == 200)

    wait_until(lambda: delivered() == 5)
    assert len(inbox(wired.factory)) == 1
    assert _processor(wired).run_once() == 1
    assert stock_of(wired.factory, sku, "GBG-MAIN") == Decimal(17)
