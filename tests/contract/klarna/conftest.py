"""A Klarna sandbox of its own (reset before each test), a client, and an authorized order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import served
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.klarna import contract as kl
from westgear_desk.integrations.klarna.client import KlarnaClient
from westgear_desk.sandbox.klarna import build


class ServedSandbox(served.ServedSandbox):
    """The Klarna sandbox: a reset also forgets the webhook URL."""

    def reset(self) -> None:
        super().reset()
        self.admin("PUT", "/_sandbox/klarna/webhook", json={"url": None}).raise_for_status()


@pytest.fixture(scope="module")
def served_klarna() -> Iterator[ServedSandbox]:
    with served.serve(build, ServedSandbox) as sandbox:
        yield sandbox


@pytest.fixture
def klarna_sandbox(served_klarna: ServedSandbox) -> ServedSandbox:
    served_klarna.reset()
    return served_klarna


@pytest.fixture
def records() -> list[CallRecord]:
    return []


MakeClient = Callable[..., KlarnaClient]


@pytest.fixture
def make_client(klarna_sandbox: ServedSandbox, records: list[CallRecord]) -> Iterator[MakeClient]:
    made: list[KlarnaClient] = []

    def make(**overrides: Any) -> KlarnaClient:
        creds = klarna_sandbox.credentials
        client = KlarnaClient(
            klarna_sandbox.url,
            overrides.pop("username", creds["username"]),
            overrides.pop("password", creds["password"]),
            recorder=records.append,
            timeout=overrides.pop("timeout", 5.0),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def klarna(make_client: MakeClient) -> KlarnaClient:
    return make_client()


def swedish_order() -> dict[str, Any]:
    """A consistent SEK order: life jacket ×2 with discount, a book at 6 %, shipping."""
    return {
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "locale": "sv-SE",
        "order_amount": 129600,
        "order_tax_amount": 21632,
        "merchant_reference1": "WEB-100235",
        "order_lines": [
            {"type": "physical", "reference": "LJ-50N-M", "name": "Flytväst 50N, M",
             "quantity": 2, "unit_price": 49900, "tax_rate": 2500,
             "total_discount_amount": 5000, "total_amount": 94800, "total_tax_amount": 18960},
            {"type": "physical", "reference": "BOK-SJO-01", "name": "Sjökortsbok",
             "quantity": 1, "unit_price": 29900, "tax_rate": 600, "total_amount": 29900,
             "total_tax_amount": 1692},
            {"type": "shipping_fee", "reference": "PN-MPC", "name": "PostNord MyPack Collect",
             "quantity": 1, "unit_price": 4900, "tax_rate": 2500, "total_amount": 4900,
             "total_tax_amount": 980},
        ],
    }  # fmt: skip


def place_order(client: KlarnaClient, sandbox: ServedSandbox) -> str:
    """Session -> the customer authorizes (admin step) -> order; returns the order id."""
    session = client.create_session(kl.SessionCreateRequest.model_validate(swedish_order()))
    answer = sandbox.admin("POST", f"/_sandbox/klarna/sessions/{session.session_id}/authorize")
    answer.raise_for_status()
    token = answer.json()["authorization_token"]
    created = client.create_order(token, kl.CreateOrderRequest.model_validate(swedish_order()))
    return created.order_id


@pytest.fixture
def order_id(klarna: KlarnaClient, klarna_sandbox: ServedSandbox) -> str:
    return place_order(klarna, klarna_sandbox)
