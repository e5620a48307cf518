"""The webhook receiver over real HTTP (uvicorn on loopback) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import InboxStatus
from westgear_desk.db.session import create_engine_for, make_session_factory
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sync.inbox import InboxContext, InboxProcessor, InboxRegistry
from westgear_desk.sync.retry import PolicyResolver
from westgear_desk.webhooks.app import ReceiverConfig, build_app
from westgear_desk.webhooks.secrets import lookup
from westgear_desk.webhooks.sources import hmac_sha256_hex

from .conftest import (
    KLARNA_KEY,
    MAX_BODY,
    SHARESPINE_SECRET,
    RunningReceiver,
    events,
    notification,
    signed,
)


def test_valid_notification_is_one_inbox_event(receiver: RunningReceiver) -> None:
    body = notification()
    response = receiver.post(
        "sharespine", body, {**signed(body), "X-Correlation-Id": "cid-abc-123"}
    )

    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    assert response.headers["X-Correlation-Id"] == "cid-abc-123"
    [event] = events(receiver.factory)
    assert event.source == "sharespine"
    assert event.event_type == "stock_changed"
    assert event.dedupe_key == json.loads(body)["eventId"]
    assert event.raw_body == body
    assert event.signature_ok is True
    assert event.status == InboxStatus.RECEIVED
    assert event.correlation_id == "cid-abc-123"
    assert SHARESPINE_SECRET not in json.dumps(event.headers)
    assert event.headers["x-sharespine-signature"] != signed(body)["X-Sharespine-Signature"]


@pytest.mark.parametrize(
    ("record_type", "changes", "expected"),
    [
        ("product", ["price"], "price_changed"),
        ("product", ["stock", "price"], "product_changed"),
        ("order", [], "order_changed"),
        ("customer", ["address"], "customer_changed"),
    ],
)
def test_event_type_follows_what_changed(
    receiver: RunningReceiver, record_type: str, changes: list[str], expected: str
) -> None:
    body = notification(record_type, changes=changes)
    assert receiver.post("sharespine", body, signed(body)).status_code == 200
    assert [e.event_type for e in events(receiver.factory)] == [expected]


def test_each_request_gets_a_correlation_id(receiver: RunningReceiver) -> None:
    first, second = notification(), notification()
    a = receiver.post("sharespine", first, signed(first)).headers["X-Correlation-Id"]
    b = receiver.post("sharespine", second, signed(second)).headers["X-Correlation-Id"]

    assert a
    assert b
    assert a != b
    assert [e.correlation_id for e in events(receiver.factory)] == [a, b]


def test_ten_duplicates_one_after_another_are_one_event(receiver: RunningReceiver) -> None:
    body = notification()
    answers = [receiver.post("sharespine", body, signed(body)) for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["duplicate"] for a in answers] == [False] + [True] * 9
    assert len(events(receiver.factory)) == 1


def test_ten_concurrent_duplicates_are_one_event(receiver: RunningReceiver) -> None:
    body = notification()
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(lambda _: receiver.post("sharespine", body, signed(body)), range(10))
        )

    assert [a.status_code for a in answers] == [200] * 10
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    assert len({a.json()["event_id"] for a in answers}) == 1
    assert len(events(receiver.factory)) == 1


def _processor(receiver: RunningReceiver, seen: list[int]) -> InboxProcessor:
    registry = InboxRegistry()

    def apply(ctx: InboxContext) -> None:
        seen.append(ctx.event_id)

    registry.register("sharespine", "stock_changed", apply)
    registry.register("sharespine", "unverified", apply)
    registry.register("sharespine", "malformed", apply)
    return InboxProcessor(
        receiver.factory, registry, desk_id="t", policies=PolicyResolver(), rng=random.Random(1)
    )


def test_forged_signature_is_stored_unverified_and_never_processed(
    receiver: RunningReceiver,
) -> None:
    body = notification()
    forged = signed(body, secret="not-the-secret")
    response = receiver.post("sharespine", body, forged)

    assert response.status_code == 401
    [event] = events(receiver.factory)
    assert event.signature_ok is False
    assert event.status == InboxStatus.IGNORED
    assert event.raw_body == body
    seen: list[int] = []
    assert _processor(receiver, seen).run_once() == 0
    assert seen == []


def test_forged_copy_cannot_claim_the_genuine_event_id(receiver: RunningReceiver) -> None:
    body = notification()
    assert receiver.post("sharespine", body, signed(body, "wrong")).status_code == 401
    assert receiver.post("sharespine", body, signed(body)).status_code == 200

    verdicts = sorted(e.signature_ok for e in events(receiver.factory))
    assert verdicts == [False, True]
    seen: list[int] = []
    assert _processor(receiver, seen).run_once() == 1
    assert len(seen) == 1


def test_missing_signature_is_refused(receiver: RunningReceiver) -> None:
    body = notification()
    response = receiver.post("sharespine", body, {"Content-Type": "application/json"})

    assert response.status_code == 401
    assert [e.signature_ok for e in events(receiver.factory)] == [False]


def test_huge_body_is_refused_unread_and_not_stored(receiver: RunningReceiver) -> None:
    body = b'{"eventId": "' + b"x" * (4 * MAX_BODY) + b'"}'
    response = receiver.post("sharespine", body, signed(body))

    assert response.status_code == 413
    assert events(receiver.factory) == []


def test_huge_chunked_body_is_refused(receiver: RunningReceiver) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b"y" * 8192

    response = httpx.post(
        f"{receiver.url}/webhooks/sharespine",
        content=chunks(),  # type: ignore[arg-type]
        headers={"X-Sharespine-Signature": "00"},
        timeout=10,
    )
    assert response.status_code == 413
    assert events(receiver.factory) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2, 3]", json.dumps({"eventId": "e1"}).encode(), b""],
    ids=["broken-json", "array", "missing-fields", "empty"],
)
def test_malformed_signed_body_is_stored_and_answered_400(
    receiver: RunningReceiver, body: bytes
) -> None:
    response = receiver.post("sharespine", body, signed(body))

    assert response.status_code == 400
    assert response.json()["error"] == "malformed body"
    [event] = events(receiver.factory)
    assert event.event_type == "malformed"
    assert event.signature_ok is True
    assert event.raw_body == body
    again = receiver.post("sharespine", body, signed(body))
    assert again.status_code == 400
    assert len(events(receiver.factory)) == 1


def test_unknown_source_is_404_and_not_stored(receiver: RunningReceiver) -> None:
    body = notification()
    assert receiver.post("paypal", body, signed(body)).status_code == 404
    assert events(receiver.factory) == []


def test_healthz(receiver: RunningReceiver) -> None:
    response = httpx.get(f"{receiver.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _klarna_body() -> bytes:
    return json.dumps(
        {
            "metadata": {
                "event_type": "payment.order.state-change.captured",
                "event_id": str(uuid.uuid4()),
                "event_version": "v1",
                "occurred_at": datetime.now(UTC).isoformat(),
            },
            "payload": {"order_id": "kl-1", "status": "CAPTURED"},
        }
    ).encode()


def test_klarna_signed_webhook_is_stored_by_event_id(receiver: RunningReceiver) -> None:
    body = _klarna_body()
    headers = {"Klarna-Signature": hmac_sha256_hex(body, KLARNA_KEY), "Klarna-Signing-Key-Id": "k1"}
    assert receiver.post("klarna", body, headers).status_code == 200
    assert receiver.post("klarna", body, headers).json()["duplicate"] is True

    [event] = events(receiver.factory)
    assert event.source == "klarna"
    assert event.event_type == "payment.order.state-change.captured"
    assert event.dedupe_key == json.loads(body)["metadata"]["event_id"]


def test_klarna_forged_signature_is_400_as_klarna_documents(receiver: RunningReceiver) -> None:
    body = _klarna_body()
    headers = {"Klarna-Signature": hmac_sha256_hex(body, SHARESPINE_SECRET)}
    assert receiver.post("klarna", body, headers).status_code == 400
    assert [e.signature_ok for e in events(receiver.factory)] == [False]


def test_database_down_is_503_and_the_sender_retries() -> None:
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    config = ReceiverConfig(make_session_factory(engine), lookup({"sharespine": SHARESPINE_SECRET}))
    body = notification()
    try:
        with SandboxServer(build_app(config)) as server:
            answer = httpx.post(
                f"{server.url}/webhooks/sharespine", content=body, headers=signed(body), timeout=30
            )
            health = httpx.get(f"{server.url}/healthz", timeout=30)
    finally:
        engine.dispose()
    assert answer.status_code == 503
    assert health.status_code == 503


def test_one_commit_per_request_mode_behaves_the_same(
    session_factory: sessionmaker[Session],
) -> None:
    secrets = lookup({"sharespine": SHARESPINE_SECRET})
    config = ReceiverConfig(session_factory, secrets, group_commit=False)
    body = notification()
    with SandboxServer(build_app(config)) as server:
        url = f"{server.url}/webhooks/sharespine"
        first = httpx.post(url, content=body, headers=signed(body), timeout=10)
        again = httpx.post(url, content=body, headers=signed(body), timeout=10)
        forged = httpx.post(url, content=body, headers=signed(body, "x"), timeout=10)

    assert (first.status_code, again.status_code, forged.status_code) == (200, 200, 401)
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert sorted(e.signature_ok for e in events(session_factory)) == [False, True]
