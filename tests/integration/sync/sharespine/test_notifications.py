"""Stock/price change notifications through the inbox, and quarantine reports to the hub."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.sync.sharespine.catalog_fixtures import Hub, published_ids
from tests.integration.sync.sharespine.test_catalog_incremental import (
    first_variant_stock,
    list_price,
    set_stock,
)
from westgear_desk.db.enums import InboxStatus, JobStatus
from westgear_desk.db.models import InboxEvent, Job
from westgear_desk.settings import IntegrationEndpoint, IntegrationSettings, Settings
from westgear_desk.sync import sharespine as engine_module
from westgear_desk.sync.flows import FlowEnvironment, standard_schedules
from westgear_desk.sync.inbox import InboxRegistry, record
from westgear_desk.sync.inbox_worker import InboxProcessor
from westgear_desk.sync.job_worker import JobWorker
from westgear_desk.sync.jobs import JobRegistry
from westgear_desk.sync.retry import PolicyResolver
from westgear_desk.sync.sharespine.catalog import full_refresh
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync, apply_page
from westgear_desk.sync.sharespine.notifications import fetch_record
from westgear_desk.sync.sharespine.stock_price import STOCK


@pytest.fixture
def env(
    hub: Hub, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> FlowEnvironment:
    """An engine environment pointing at the hub, credentials from the environment."""
    for name in ("tenant", "connection_id", "username", "password"):
        monkeypatch.setenv(f"WESTGEAR_SECRET_SHARESPINE_{name.upper()}", hub.credentials[name])
    settings = Settings(
        integrations=IntegrationSettings(sharespine=IntegrationEndpoint(base_url=hub.url + "/api"))
    )
    return FlowEnvironment(settings, standard_schedules(settings.schedules), session_factory)


def notify(
    factory: sessionmaker[Session], product: dict[str, Any], event_type: str, event_id: str
) -> None:
    """What the webhook receiver stores for one pushed change."""
    body = json.dumps(
        {
            "eventId": event_id,
            "recordType": "product",
            "localId": product["localId"],
            "remoteId": product["remoteId"],
            "changes": [event_type.removesuffix("_changed")],
            "lastModified": product["lastModified"],
        }
    ).encode()
    record(factory, "sharespine", event_id, {}, body, True, event_type=event_type)


def process_all(env: FlowEnvironment) -> dict[str, str]:
    registry = InboxRegistry()
    engine_module.register_inbox(registry, env)
    worker = InboxProcessor(
        env.session_factory, registry, desk_id="test", policies=PolicyResolver()
    )
    worker.run_once()
    with env.session_factory() as session:
        rows = session.execute(select(InboxEvent.dedupe_key, InboxEvent.status)).all()
    return {key: str(status) for key, status in rows}


def product_json(hub: Hub, remote_id: str) -> dict[str, Any]:
    with hub.client() as client:
        found: dict[str, Any] = client.request_json(
            "GET", "/api/product/by-remote-id", params={"remoteId": remote_id}
        )
    return found


def test_out_of_order_and_duplicate_notifications_leave_the_newest_stock(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    factory = env.session_factory
    full_refresh(catalog, None)
    with factory() as session:
        target = sorted(published_ids(session))[0]
    set_stock(hub, target, 5)
    older = product_json(hub, target)
    set_stock(hub, target, 9)
    newer = product_json(hub, target)
    assert older["lastModified"] < newer["lastModified"]

    notify(factory, newer, "stock_changed", "n2")  # the newer change arrives first
    notify(factory, older, "stock_changed", "n1")
    notify(factory, newer, "stock_changed", "n2")  # redelivered with the same id
    notify(factory, newer, "stock_changed", "n2-again")  # and once more under a new id
    statuses = process_all(env)

    assert first_variant_stock(factory, target) == 9
    assert statuses == {
        "n2": InboxStatus.PROCESSED,
        "n1": InboxStatus.IGNORED,
        "n2-again": InboxStatus.IGNORED,
    }


def test_an_older_version_never_overwrites_a_newer_one_in_the_update(
    hub: Hub, catalog: CatalogSync, session_factory: sessionmaker[Session]
) -> None:
    full_refresh(catalog, None)
    with session_factory() as session:
        target = sorted(published_ids(session))[1]
    set_stock(hub, target, 5)
    with hub.client() as client:
        old = fetch_record(client, product_json(hub, target)["localId"])
        set_stock(hub, target, 9)
        new = fetch_record(client, old.model.local_id if old.model else "")
    assert apply_page(catalog, [new], None, only=frozenset({STOCK})).updated == 1

    late = apply_page(catalog, [old], None, only=frozenset({STOCK}))

    assert (late.updated, late.unchanged) == (0, 1)
    assert first_variant_stock(session_factory, target) == 9


def test_a_price_notification_updates_the_price(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    full_refresh(catalog, None)
    with env.session_factory() as session:
        target = sorted(published_ids(session))[2]
    hub.admin("POST", f"/sharespine/products/{target}/price", json={"priceInclVat": "499.00"})
    notify(env.session_factory, product_json(hub, target), "price_changed", uuid.uuid4().hex)

    assert list(process_all(env).values()) == [InboxStatus.PROCESSED]
    assert list_price(env.session_factory, target) == Decimal("499.00")


def test_a_product_notification_with_stock_and_price_updates_both(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    full_refresh(catalog, None)
    with env.session_factory() as session:
        target = sorted(published_ids(session))[3]
    hub.admin("POST", f"/sharespine/products/{target}/price", json={"priceInclVat": "777.00"})
    set_stock(hub, target, 41)
    body = product_json(hub, target)
    event_id = uuid.uuid4().hex
    payload = json.dumps(
        {
            "eventId": event_id,
            "recordType": "product",
            "localId": body["localId"],
            "remoteId": body["remoteId"],
            "changes": ["stock", "price"],
            "lastModified": body["lastModified"],
        }
    ).encode()
    record(
        env.session_factory, "sharespine", event_id, {}, payload, True, event_type="product_changed"
    )

    assert list(process_all(env).values()) == [InboxStatus.PROCESSED]
    assert list_price(env.session_factory, target) == Decimal("777.00")
    assert first_variant_stock(env.session_factory, target) == 41


def test_quarantine_reasons_are_reported_to_the_hub_event_log(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    broken = hub.broken()
    full_refresh(catalog, None)
    registry = JobRegistry()
    engine_module.register_jobs(registry, env)
    worker = JobWorker(env.session_factory, registry, desk_id="test", policies=PolicyResolver())
    while worker.run_once():
        pass

    events = hub.admin("GET", "/sharespine/events").json()
    with env.session_factory() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {JobStatus.DONE}
    reported = {e["relatedIdMsgs"][0]["id"] for e in events}
    assert reported == set(broken)
    assert all(e["severity"] == "Error" and e["direction"] == "import" for e in events)


def test_a_notification_with_an_unstorable_remote_id_is_still_applied(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    """A NUL character or an over-long remoteId cannot be looked up as such in PostgreSQL."""
    full_refresh(catalog, None)
    with env.session_factory() as session:
        target = sorted(published_ids(session))[4]
    set_stock(hub, target, 23)
    for event_id, remote_id in (("nul", target + "\x00x"), ("long", "r" * 300)):
        notify(
            env.session_factory,
            {**product_json(hub, target), "remoteId": remote_id},
            "stock_changed",
            event_id,
        )

    statuses = process_all(env)

    assert statuses["nul"] == InboxStatus.PROCESSED
    assert statuses["long"] in {InboxStatus.PROCESSED, InboxStatus.IGNORED}  # same version
    assert first_variant_stock(env.session_factory, target) == 23
