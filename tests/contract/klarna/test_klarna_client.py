"""The Klarna client against the Klarna sandbox over real HTTP."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from tests.contract.klarna.conftest import MakeClient, ServedSandbox, place_order, swedish_order
from tests.helpers.sandboxes import FakeWebhookReceiver
from westgear_desk.errors import (
    AuthenticationError,
    BusinessRuleError,
    ConnectionFailure,
    DataError,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.klarna import contract as kl
from westgear_desk.integrations.klarna.client import KlarnaClient, capture_key, refund_key
from westgear_desk.integrations.klarna.notifications import (
    SIGNATURE_HEADER,
    OrderStatusWebhook,
    verify_signature,
)

HOODIES_AND_SHIPPING = 94800 + 4900


def _capture(amount: int = HOODIES_AND_SHIPPING, **fields: object) -> kl.CaptureRequest:
    return kl.CaptureRequest.model_validate({"captured_amount": amount, **fields})


def _partial_capture() -> kl.CaptureRequest:
    lines = swedish_order()["order_lines"]
    return kl.CaptureRequest.model_validate(
        {
            "captured_amount": HOODIES_AND_SHIPPING,
            "reference": "SHIP-100235-1",
            "order_lines": [lines[0], lines[2]],
            "shipping_info": [
                {"shipping_company": "PostNord", "tracking_number": "00373500538500000010"}
            ],
        }
    )  # fmt: skip


# ------------------------------------------------------------------ auth and errors


def test_wrong_password_is_the_gateway_html_401(
    make_client: MakeClient, klarna_sandbox: ServedSandbox
) -> None:
    with pytest.raises(AuthenticationError) as info:
        make_client(password="wrong").get_order("no-such-order")
    assert info.value.status_code == 401
    raw = httpx.get(f"{klarna_sandbox.url}/payments/v1/sessions/x", auth=("x", "y"))
    assert raw.status_code == 401
    assert raw.headers["content-type"].startswith("text/html")
    assert "401 Authorization Required" in raw.text


def test_unknown_order_is_a_data_error_with_correlation_id(
    klarna: KlarnaClient, records: list[CallRecord]
) -> None:
    with pytest.raises(DataError) as info:
        klarna.get_order("no-such-order")
    assert info.value.status_code == 404
    assert info.value.error_code == "NO_SUCH_ORDER"
    assert info.value.request_id
    assert records[-1].request_id == info.value.request_id


def test_inconsistent_lines_get_bad_value_naming_the_field(
    klarna_sandbox: ServedSandbox,
) -> None:
    body = swedish_order()
    body["order_lines"][1]["total_tax_amount"] = 1500
    creds = klarna_sandbox.credentials
    response = httpx.post(
        f"{klarna_sandbox.url}/payments/v1/sessions",
        json=body,
        auth=(creds["username"], creds["password"]),
    )
    assert response.status_code == 400
    error = kl.KlarnaErrorBody.model_validate(response.json())
    assert error.error_code == "BAD_VALUE"
    assert "order_lines.1" in error.error_messages[0]
    assert "total_tax_amount" in error.error_messages[0]


# ------------------------------------------------------------------ payments


def test_session_authorize_and_order(klarna: KlarnaClient, klarna_sandbox: ServedSandbox) -> None:
    order_id = place_order(klarna, klarna_sandbox)
    order = klarna.get_order(order_id)
    assert order.unknown_fields() == []
    assert order.status == "AUTHORIZED"
    assert order.remaining_authorized_amount == order.order_amount == 129600
    assert order.expires_at is not None
    assert order.created_at is not None
    assert order.expires_at - order.created_at == timedelta(days=28)
    assert order.merchant_reference1 == "WEB-100235"


def test_authorization_token_works_once(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox
) -> None:
    session = klarna.create_session(kl.SessionCreateRequest.model_validate(swedish_order()))
    assert klarna.get_session(session.session_id).status == "incomplete"
    token = klarna_sandbox.admin(
        "POST", f"/_sandbox/klarna/sessions/{session.session_id}/authorize"
    ).json()["authorization_token"]
    assert klarna.get_session(session.session_id).status == "complete"
    request = kl.CreateOrderRequest.model_validate(swedish_order())
    klarna.create_order(token, request)
    with pytest.raises(DataError) as info:
        klarna.create_order(token, request)
    assert info.value.error_code == "NOT_FOUND"


# ------------------------------------------------------------------ captures and refunds


def test_partial_capture_reads_the_id_from_headers(
    klarna: KlarnaClient, order_id: str, records: list[CallRecord]
) -> None:
    created = klarna.capture(
        order_id, _partial_capture(), idempotency_key=capture_key(order_id, "1")
    )
    assert created.location is not None
    assert created.location.endswith(f"/captures/{created.id}")
    assert records[-1].status_code == 201
    assert records[-1].request_id  # Klarna-Correlation-Id
    order = klarna.get_order(order_id)
    assert order.status == "PART_CAPTURED"
    assert order.captured_amount == HOODIES_AND_SHIPPING
    assert order.remaining_authorized_amount == 129600 - HOODIES_AND_SHIPPING
    capture = klarna.get_capture(order_id, created.id)
    assert capture.reference == "SHIP-100235-1"
    assert capture.unknown_fields() == []


def test_capture_beyond_remaining_is_a_business_rule_error(
    klarna: KlarnaClient, order_id: str
) -> None:
    klarna.capture(order_id, _capture(100000))
    with pytest.raises(BusinessRuleError) as info:
        klarna.capture(order_id, _capture(29601))
    assert info.value.error_code == "CAPTURE_NOT_ALLOWED"
    assert klarna.get_order(order_id).captured_amount == 100000
    klarna.capture(order_id, _capture(29600))
    assert klarna.get_order(order_id).status == "CAPTURED"


def test_every_write_carries_an_idempotency_key(
    klarna: KlarnaClient, order_id: str, klarna_sandbox: ServedSandbox
) -> None:
    klarna.capture(order_id, _capture(1000))
    klarna.extend_authorization_time(order_id)
    posts = klarna_sandbox.requests()
    writes = [
        r for r in posts if r["method"] in ("POST", "PATCH") and not r["path"].startswith("/_")
    ]
    assert len(writes) == 4  # session, order, capture, extend
    keys = [r["headers"].get("klarna-idempotency-key") for r in writes]
    assert all(keys)
    assert len(set(keys)) == 4


def test_capture_retried_after_a_late_answer_captures_once(
    make_client: MakeClient, order_id: str, klarna_sandbox: ServedSandbox
) -> None:
    client = make_client(timeout=0.5)
    key = capture_key(order_id, "shipment-1")
    # the capture is executed, but only after the client gave up waiting
    klarna_sandbox.set_faults(latency_ms=1500, only_paths=["/ordermanagement/v1/orders/"])
    with pytest.raises(TimeoutFailure):
        client.capture(order_id, _capture(), idempotency_key=key)
    klarna_sandbox.set_faults()
    retried = client.capture(order_id, _capture(), idempotency_key=key)
    # wait until the delayed original reached the handler and got the stored reply
    deadline = time.monotonic() + 10
    while klarna_sandbox.admin("GET", f"/_sandbox/klarna/idempotency/{key}").json()["replays"] < 1:
        assert time.monotonic() < deadline, "the delayed original never arrived"
        time.sleep(0.05)
    order = client.get_order(order_id)
    assert order.captured_amount == HOODIES_AND_SHIPPING
    assert [c.capture_id for c in order.captures] == [retried.id]


def test_capture_retried_after_an_injected_timeout_captures_once(
    make_client: MakeClient, order_id: str, klarna_sandbox: ServedSandbox
) -> None:
    client = make_client(timeout=0.5)
    key = capture_key(order_id, "shipment-1")
    klarna_sandbox.set_faults(timeout_rate=1.0, only_paths=["/ordermanagement/v1/orders/"])
    with pytest.raises(TimeoutFailure):
        client.capture(order_id, _capture(), idempotency_key=key)
    klarna_sandbox.set_faults()
    first = client.capture(order_id, _capture(), idempotency_key=key)
    second = client.capture(order_id, _capture(), idempotency_key=key)
    assert first == second  # the stored reply, replayed
    order = client.get_order(order_id)
    assert order.captured_amount == HOODIES_AND_SHIPPING
    assert len(order.captures) == 1


def test_same_key_with_a_different_body_replays_the_first_result(
    klarna: KlarnaClient, order_id: str
) -> None:
    key = capture_key(order_id, "shipment-1")
    first = klarna.capture(order_id, _capture(5000), idempotency_key=key)
    again = klarna.capture(order_id, _capture(7000), idempotency_key=key)  # body ignored [V]
    assert again.id == first.id
    assert klarna.get_order(order_id).captured_amount == 5000


def test_refunds_up_to_the_captured_amount(klarna: KlarnaClient, order_id: str) -> None:
    klarna.capture(order_id, _capture(50000))
    key = refund_key(order_id, "RMA-1")
    refund = klarna.refund(
        order_id, kl.RefundRequest(refunded_amount=20000, reference="RMA-1"), idempotency_key=key
    )
    klarna.refund(order_id, kl.RefundRequest(refunded_amount=20000), idempotency_key=key)
    with pytest.raises(BusinessRuleError) as info:
        klarna.refund(order_id, kl.RefundRequest(refunded_amount=30001))
    assert info.value.error_code == "REFUND_NOT_ALLOWED"
    order = klarna.get_order(order_id)
    assert order.refunded_amount == 20000
    assert [r.refund_id for r in order.refunds] == [refund.id]
    assert order.captures[0].refunded_amount == 20000


# ------------------------------------------------------------------ cancel, release, expiry


def test_cancel_only_before_any_capture(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox, order_id: str
) -> None:
    klarna.cancel_order(order_id)
    assert klarna.get_order(order_id).status == "CANCELLED"
    other = place_order(klarna, klarna_sandbox)
    klarna.capture(other, _capture(1000))
    with pytest.raises(BusinessRuleError) as info:
        klarna.cancel_order(other)
    assert info.value.error_code == "CANCEL_NOT_ALLOWED"


def test_release_remaining_closes_a_part_captured_order(
    klarna: KlarnaClient, order_id: str
) -> None:
    klarna.capture(order_id, _capture(1000))
    klarna.release_remaining_authorization(order_id)
    order = klarna.get_order(order_id)
    assert (order.status, order.remaining_authorized_amount) == ("CLOSED", 0)
    with pytest.raises(BusinessRuleError):
        klarna.capture(order_id, _capture(1000))


def test_authorization_expires_after_28_days(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox, order_id: str
) -> None:
    klarna_sandbox.admin("POST", "/_sandbox/klarna/clock", json={"days": 28, "hours": 1})
    order = klarna.get_order(order_id)
    assert (order.status, order.remaining_authorized_amount) == ("EXPIRED", 0)
    with pytest.raises(BusinessRuleError) as info:
        klarna.extend_authorization_time(order_id)
    assert info.value.error_code == "NOT_ALLOWED"
    with pytest.raises(BusinessRuleError):
        klarna.capture(order_id, _capture(1000))


def test_extension_moves_expiry_up_to_180_days(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox, order_id: str
) -> None:
    created = klarna.get_order(order_id)
    assert created.created_at is not None
    for _ in range(7):  # a boat with a long lead time: extend every 25 days
        klarna_sandbox.admin("POST", "/_sandbox/klarna/clock", json={"days": 25})
        klarna.extend_authorization_time(order_id)
    order = klarna.get_order(order_id)
    assert order.status == "AUTHORIZED"
    assert order.expires_at == created.created_at + timedelta(days=180)
    with pytest.raises(BusinessRuleError):
        klarna.extend_authorization_time(order_id)


def test_admin_expire_part_captured_order_closes_it(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox, order_id: str
) -> None:
    klarna.capture(order_id, _capture(1000))
    klarna_sandbox.admin("POST", f"/_sandbox/klarna/orders/{order_id}/expire").raise_for_status()
    assert klarna.get_order(order_id).status == "CLOSED"


# ------------------------------------------------------------------ webhooks


def test_status_changes_are_signed_webhooks(
    klarna: KlarnaClient,
    klarna_sandbox: ServedSandbox,
    webhook_receiver: FakeWebhookReceiver,
) -> None:
    hook = f"{webhook_receiver.url}/hooks/klarna"
    klarna_sandbox.admin("PUT", "/_sandbox/klarna/webhook", json={"url": hook}).raise_for_status()
    order_id = place_order(klarna, klarna_sandbox)
    klarna.capture(order_id, _capture(100000))
    klarna.capture(order_id, _capture(29600))
    received = webhook_receiver.wait_for(3)
    key = klarna_sandbox.credentials["signing_key"]
    events = []
    for delivery in received:
        assert verify_signature(
            delivery["body"], delivery["headers"][SIGNATURE_HEADER.lower()], key
        )
        assert not verify_signature(
            delivery["body"] + b" ", delivery["headers"][SIGNATURE_HEADER.lower()], key
        )
        event = OrderStatusWebhook.model_validate_json(delivery["body"])
        assert event.unknown_fields() == []
        assert event.payload.order_id == order_id
        events.append((event.payload.previous_status, event.payload.status))
    assert events == [
        (None, "AUTHORIZED"),
        ("AUTHORIZED", "PART_CAPTURED"),
        ("PART_CAPTURED", "CAPTURED"),
    ]


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize(
    ("faults", "expected", "code"),
    [
        ({"error_rate": 1.0}, ServerError, None),
        ({"drop_rate": 1.0}, ConnectionFailure, None),
        ({"malformed_rate": 1.0}, ServerError, "malformed_json"),
        ({"timeout_rate": 1.0}, TimeoutFailure, None),
        ({"rate_limit_rate": 1.0}, RateLimitedError, None),
        ({"drift": "renamed_field"}, DataError, "contract_violation"),
    ],
)
def test_each_fault_maps_to_its_exception(
    make_client: MakeClient,
    klarna_sandbox: ServedSandbox,
    order_id: str,
    faults: dict[str, object],
    expected: type[Exception],
    code: str | None,
) -> None:
    client = make_client(timeout=0.5)
    klarna_sandbox.set_faults(only_paths=["/ordermanagement/"], **faults)
    with pytest.raises(expected) as info:
        client.get_order(order_id)
    if code is not None:
        assert getattr(info.value, "error_code", None) == code


def test_new_field_drift_is_kept_and_reported(
    klarna: KlarnaClient, klarna_sandbox: ServedSandbox, order_id: str
) -> None:
    klarna_sandbox.set_faults(drift="new_field", only_paths=["/ordermanagement/"])
    order = klarna.get_order(order_id)
    assert order.unknown_fields() == ["sustainability_score"]
