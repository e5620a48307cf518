"""A webhook receiver served by uvicorn (httptools) on loopback over a fresh migrated database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.models import InboxEvent
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.webhooks.app import ReceiverConfig, build_app
from westgear_desk.webhooks.secrets import lookup
from westgear_desk.webhooks.sources import hmac_sha256_hex

SHARESPINE_SECRET = "test-sharespine-webhook-secret"
KLARNA_KEY = "test-klarna-signing-key"
MAX_BODY = 64 * 1024


def notification(record_type: str = "product", **fields: object) -> bytes:
    """A Sharespine change notification body (a new event id each call)."""
    body: dict[str, object] = {
        "eventId": uuid.uuid4().hex,
        "recordType": record_type,
        "localId": "a1b2c3",
        "remoteId": "art-100001",
        "changes": ["stock"],
        "lastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body.update(fields)
    return json.dumps(body).encode()


def signed(body: bytes, secret: str = SHARESPINE_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Sharespine-Signature": hmac_sha256_hex(body, secret),
    }


def events(factory: sessionmaker[Session]) -> list[InboxEvent]:
    with factory() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


@dataclass
class RunningReceiver:
    url: str
    factory: sessionmaker[Session]

    def post(self, source: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(
            f"{self.url}/webhooks/{source}", content=body, headers=headers, timeout=10
        )


@pytest.fixture
def receiver(session_factory: sessionmaker[Session]) -> Iterator[RunningReceiver]:
    """The receiver app served by uvicorn over the test database (both secrets configured)."""
    config = ReceiverConfig(
        session_factory,
        lookup({"sharespine": SHARESPINE_SECRET, "klarna": KLARNA_KEY}),
        max_body_bytes=MAX_BODY,
    )
    with SandboxServer(build_app(config)) as server:
        yield RunningReceiver(server.url, session_factory)
