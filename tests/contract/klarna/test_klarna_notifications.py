"""Klarna callback bodies and the webhook signature: what a receiver relies on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.klarna.notifications import (
    AuthorizationCallback,
    NotificationCallback,
    OrderStatusWebhook,
    event_type_for,
    sign,
    verify_signature,
)

KEY = "sandbox-signing-key"


def test_fraud_notification_body_validates() -> None:
    body = {"order_id": "7c3e9a52-1f0b-4c1e-9d7a-2b1f0e6a9c11", "event_type": "FRAUD_RISK_ACCEPTED"}
    assert parse_contract(NotificationCallback, body).event_type == "FRAUD_RISK_ACCEPTED"
    with pytest.raises(DataError, match="event_type"):
        parse_contract(NotificationCallback, {**body, "event_type": "FRAUD_RISK_MAYBE"})


def test_authorization_callback_needs_a_token() -> None:
    assert parse_contract(AuthorizationCallback, {"authorization_token": "abc"}).session_id is None
    with pytest.raises(DataError, match="authorization_token"):
        parse_contract(AuthorizationCallback, {"session_id": "s"})


def test_status_webhook_names_its_event_after_the_status() -> None:
    body = {
        "metadata": {
            "event_type": event_type_for("PART_CAPTURED"),
            "event_id": "e1",
            "event_version": "v1",
            "occurred_at": "2026-11-29T10:00:00+00:00",
        },
        "payload": {"order_id": "o1", "status": "PART_CAPTURED", "previous_status": "AUTHORIZED"},
    }
    event = parse_contract(OrderStatusWebhook, body)
    assert event.metadata.event_type == "payment.order.state-change.part-captured"
    with pytest.raises(DataError, match="occurred_at"):
        parse_contract(
            OrderStatusWebhook,
            {**body, "metadata": {**body["metadata"], "occurred_at": "2026-11-29T10:00:00"}},
        )


@given(st.binary(max_size=200))
def test_signature_verifies_only_the_signed_body(body: bytes) -> None:
    signature = sign(body, KEY)
    assert verify_signature(body, signature, KEY)
    assert verify_signature(body, signature.upper(), KEY)
    assert not verify_signature(body + b"x", signature, KEY)
    assert not verify_signature(body, signature, KEY + "x")
    assert not verify_signature(body, None, KEY)
    assert not verify_signature(body, "", KEY)


def test_forged_signature_is_refused() -> None:
    body = json.dumps({"payload": {"order_id": "o1", "status": "CAPTURED"}}).encode()
    assert not verify_signature(body, "0" * 64, KEY)
