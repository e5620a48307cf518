"""Sharespine sandbox change notifications: signed, sent on stock/price changes, duplicated."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from westgear_desk.integrations.sharespine.contract import SIGNATURE_HEADER, ChangeNotification
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sandbox.sharespine import build


class Inbox:
    """A loopback receiver that keeps every posted notification."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.changed = threading.Condition()
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.changed:
            self.received.append((body, dict(request.headers)))
            self.changed.notify_all()
        return Response(status_code=204)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[bytes, dict[str, str]]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    receiver = Inbox()
    with SandboxServer(receiver.app) as server:
        yield receiver, server.url


@pytest.fixture
def notifying(inbox: tuple[Inbox, str]) -> Iterator[tuple[SandboxSystem, str]]:
    system = build(SandboxConfig(seed=3, products=30, webhook_url=f"{inbox[1]}/hook"))
    with SandboxServer(system.app) as server:
        yield system, server.url


def _verify(body: bytes, headers: dict[str, str], secret: str) -> ChangeNotification:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], expected)
    return ChangeNotification.model_validate_json(body)


def test_stock_and_price_changes_post_signed_notifications_newest_last(
    inbox: tuple[Inbox, str], notifying: tuple[SandboxSystem, str]
) -> None:
    system, url = notifying
    admin = f"{url}/_sandbox/sharespine/products/art-100004"
    first = httpx.post(f"{admin}/stock", json={"stock": 2, "locationId": "STO-STORE"}).json()
    second = httpx.post(f"{admin}/price", json={"priceInclVat": "1999.00"}).json()
    received = inbox[0].wait_for(2)
    secret = system.credentials["webhook_secret"]
    notes = [_verify(body, headers, secret) for body, headers in received]
    assert [n.changes for n in notes] == [["stock"], ["price"]]
    assert {n.remote_id for n in notes} == {"art-100004"}
    assert notes[0].last_modified < notes[1].last_modified
    assert first["lastModified"] < second["lastModified"]


def test_forged_signature_does_not_match(
    inbox: tuple[Inbox, str], notifying: tuple[SandboxSystem, str]
) -> None:
    system, url = notifying
    httpx.post(f"{url}/_sandbox/sharespine/products/art-100001/stock", json={"stock": 1})
    body, headers = inbox[0].wait_for(1)[0]
    with pytest.raises(AssertionError):
        _verify(
            body.replace(b"art-100001", b"art-100002"),
            headers,
            system.credentials["webhook_secret"],
        )


def test_duplicate_fault_sends_each_notification_twice(
    inbox: tuple[Inbox, str], notifying: tuple[SandboxSystem, str]
) -> None:
    _, url = notifying
    httpx.put(f"{url}/_sandbox/faults", json={"webhook_duplicates": 1}).raise_for_status()
    httpx.post(f"{url}/_sandbox/sharespine/products/art-100002/stock", json={"stock": 5})
    received = inbox[0].wait_for(2)
    assert received[0][0] == received[1][0]


def test_bad_admin_change_is_refused_not_crashing(notifying: tuple[SandboxSystem, str]) -> None:
    _, url = notifying
    admin = f"{url}/_sandbox/sharespine/products"
    assert httpx.post(f"{admin}/art-100002/stock", json={"stock": "many"}).status_code == 400
    assert httpx.post(f"{admin}/art-100002/price", json={"priceInclVat": "x"}).status_code == 400
    assert httpx.post(f"{admin}/art-999999/stock", json={"stock": 1}).status_code == 404
    assert httpx.post(f"{admin}/art-100002/stock", content=b"[1]").status_code == 400
