"""Klarna's signed status webhooks from the Klarna sandbox land in the inbox, each once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.sandboxes import RunningSandbox
from westgear_desk.db.models import InboxEvent
from westgear_desk.integrations.klarna import contract as kl
from westgear_desk.integrations.klarna.client import KlarnaClient
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.webhooks.app import ReceiverConfig, build_app
from westgear_desk.webhooks.secrets import lookup

ORDER: dict[str, Any] = {
    "purchase_country": "SE",
    "purchase_currency": "SEK",
    "locale": "sv-SE",
    "order_amount": 62375,
    "order_tax_amount": 12475,
    "merchant_reference1": "WEB-100001",
    "order_lines": [
        {"type": "physical", "reference": "LJ-50N-M", "name": "Flytväst 50N, M",
         "quantity": 1, "unit_price": 62375, "tax_rate": 2500, "total_amount": 62375,
         "total_tax_amount": 12475},
    ],
}  # fmt: skip


@pytest.fixture
def hooked(
    session_factory: sessionmaker[Session], klarna_sandbox: RunningSandbox
) -> Iterator[sessionmaker[Session]]:
    """Our receiver, with the Klarna sandbox posting its status webhooks to it."""
    key = klarna_sandbox.credentials["signing_key"]
    app = build_app(ReceiverConfig(session_factory, lookup({"klarna": key})))
    with SandboxServer(app) as server:
        url = {"url": f"{server.url}/webhooks/klarna"}
        klarna_sandbox.admin("PUT", "/_sandbox/klarna/webhook", json=url).raise_for_status()
        try:
            yield session_factory
        finally:
            klarna_sandbox.admin("PUT", "/_sandbox/klarna/webhook", json={"url": None})


def stored(factory: sessionmaker[Session]) -> list[InboxEvent]:
    with factory() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_status_changes_become_verified_inbox_events(
    hooked: sessionmaker[Session], klarna_sandbox: RunningSandbox
) -> None:
    creds = klarna_sandbox.credentials
    with KlarnaClient(klarna_sandbox.url, creds["username"], creds["password"]) as klarna:
        session = klarna.create_session(kl.SessionCreateRequest.model_validate(ORDER))
        answer = klarna_sandbox.admin(
            "POST", f"/_sandbox/klarna/sessions/{session.session_id}/authorize"
        )
        token = answer.json()["authorization_token"]
        order = klarna.create_order(token, kl.CreateOrderRequest.model_validate(ORDER))
        klarna.capture(order.order_id, kl.CaptureRequest.model_validate({"captured_amount": 62375}))

    deadline = time.monotonic() + 15
    while len(stored(hooked)) < 2:
        assert time.monotonic() < deadline, "Klarna webhooks did not arrive"
        time.sleep(0.05)

    events = stored(hooked)
    assert [e.event_type for e in events] == [
        "payment.order.state-change.authorized",
        "payment.order.state-change.captured",
    ]
    assert all(e.signature_ok and e.source == "klarna" for e in events)
    bodies = [json.loads(e.raw_body) for e in events]
    assert [e.dedupe_key for e in events] == [b["metadata"]["event_id"] for b in bodies]
    assert {b["payload"]["order_id"] for b in bodies} == {order.order_id}
