"""Every recorded Klarna body (REAL and DOC) validates against its contract model without drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.klarna import contract as kl

RECORDED = Path(__file__).parent / "recorded"

MODEL_FOR: dict[str, type[pydantic.BaseModel]] = {
    "error_400_bad_value_order_amount.json": kl.KlarnaErrorBody,
    "error_400_bad_value_total_tax_amount.json": kl.KlarnaErrorBody,
    "error_400_checkout_v3_bad_value_currency.json": kl.KlarnaErrorBody,
    "om_capture_create_request.json": kl.CaptureRequest,
    "om_get_order_response_doc_example.json": kl.KlarnaOrder,
    "om_refund_create_request.json": kl.RefundRequest,
    "payments_create_order_request.json": kl.CreateOrderRequest,
    "payments_create_order_response.json": kl.CreateOrderResponse,
    "payments_session_create_request.json": kl.SessionCreateRequest,
    "payments_session_create_request_minimal.json": kl.SessionCreateRequest,
    "payments_session_create_response.json": kl.SessionCreateResponse,
}
WRAPPERS = [
    "error_401_html_EXCHANGE_WRAPPER.json",
    "om_capture_create_response_EXCHANGE_WRAPPER.json",
    "om_refund_create_response_EXCHANGE_WRAPPER.json",
]


def _load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_every_recorded_file_is_covered() -> None:
    assert sorted(p.name for p in RECORDED.glob("*.json")) == sorted([*MODEL_FOR, *WRAPPERS])


@pytest.mark.parametrize("name", sorted(MODEL_FOR))
def test_recorded_body_validates_without_drift(name: str) -> None:
    model = parse_contract(MODEL_FOR[name], _load(name), system="klarna")
    assert model.unknown_fields() == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", WRAPPERS[1:])
def test_capture_and_refund_answers_have_no_body(name: str) -> None:
    response = _load(name)["response"]
    assert response["status"] == 201
    assert response["body"] == ""
    assert response["headers"]["Location"].endswith(
        response["headers"].get("Capture-Id") or response["headers"]["Refund-Id"]
    )


def test_doc_order_reads_captures_and_expiry() -> None:
    order = kl.KlarnaOrder.model_validate(_load("om_get_order_response_doc_example.json"))
    assert order.status == "AUTHORIZED"
    assert order.expires_at is not None
    assert order.expires_at.tzinfo is not None
    assert order.captures[0].captured_amount == 1000
    assert order.selected_shipping_option is not None
    assert order.selected_shipping_option.class_ == "string"


def test_error_bodies_keep_code_and_correlation_id() -> None:
    body = kl.KlarnaErrorBody.model_validate(_load("error_400_bad_value_total_tax_amount.json"))
    assert body.error_code == "BAD_VALUE"
    assert body.correlation_id == "9b716595-5b16-467d-b7a6-063062fc00f8"


def _swedish_session() -> dict[str, Any]:
    # the composed example of klarna.md, checked against the formulas
    return {
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "locale": "sv-SE",
        "order_amount": 129600,
        "order_tax_amount": 21632,
        "order_lines": [
            {"type": "physical", "reference": "HOODIE-ORG-M", "name": "Hoodie", "quantity": 2,
             "quantity_unit": "st", "unit_price": 49900, "tax_rate": 2500,
             "total_discount_amount": 5000, "total_amount": 94800, "total_tax_amount": 18960},
            {"type": "physical", "reference": "BOK-KOK-01", "name": "Kokbok", "quantity": 1,
             "unit_price": 29900, "tax_rate": 600, "total_amount": 29900,
             "total_tax_amount": 1692},
            {"type": "shipping_fee", "reference": "PN-MPC", "name": "PostNord", "quantity": 1,
             "unit_price": 4900, "tax_rate": 2500, "total_amount": 4900,
             "total_tax_amount": 980},
        ],
    }  # fmt: skip


def test_swedish_example_is_consistent() -> None:
    session = kl.SessionCreateRequest.model_validate(_swedish_session())
    assert session.unknown_fields() == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.__setitem__("order_amount", 129700), "order_amount"),
        (lambda b: b.__setitem__("order_tax_amount", 21000), "order_tax_amount"),
        (lambda b: b["order_lines"][0].__setitem__("total_amount", 99800), "total_amount"),
        (lambda b: b["order_lines"][1].__setitem__("total_tax_amount", 1700), "total_tax_amount"),
        (lambda b: b["order_lines"][2].__setitem__("unit_price", 49.0), "unit_price"),
        (lambda b: b["order_lines"][2].__setitem__("tax_rate", 25.0), "tax_rate"),
        (lambda b: b["order_lines"][2].pop("name"), "name"),
    ],
)
def test_inconsistent_body_is_refused_naming_the_field(mutate: Any, field: str) -> None:
    body = _swedish_session()
    mutate(body)
    with pytest.raises(DataError, match=field):
        parse_contract(kl.SessionCreateRequest, body, system="klarna")


def test_capture_amount_must_match_its_lines() -> None:
    line = _swedish_session()["order_lines"][2]
    with pytest.raises(DataError, match="captured_amount"):
        parse_contract(kl.CaptureRequest, {"captured_amount": 5000, "order_lines": [line]})
    capture = parse_contract(kl.CaptureRequest, {"captured_amount": 4900, "order_lines": [line]})
    assert capture.captured_amount == 4900
