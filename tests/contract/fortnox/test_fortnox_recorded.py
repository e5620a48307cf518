"""Every recorded real Fortnox body validates against its contract model, with no drift reported."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel, parse_contract
from westgear_desk.integrations.fortnox import contract as fx

RECORDED = Path(__file__).parent / "recorded"

MODEL_FOR: dict[str, type[pydantic.BaseModel]] = {
    "article_create_request.json": fx.ArticleEnvelope,
    "article_create_response.json": fx.ArticleEnvelope,
    "article_get_response.json": fx.ArticleEnvelope,
    "customer_create_request.json": fx.CustomerEnvelope,
    "customer_create_response.json": fx.CustomerEnvelope,
    "customer_get_response.json": fx.CustomerEnvelope,
    "customer_list_response.json": fx.CustomerList,
    "error_400_invalid_filter.json": fx.FortnoxErrorBody,
    "error_400_order_validation.json": fx.FortnoxErrorBody,
    "error_401_unauthorized.json": fx.GatewayErrorBody,
    "error_404_invoice_not_found.json": fx.FortnoxErrorBody,
    "invoice_create_request.json": fx.InvoiceEnvelope,
    "invoice_create_response.json": fx.InvoiceEnvelope,
    "order_create_request.json": fx.OrderEnvelope,
    "order_create_response.json": fx.OrderEnvelope,
    "voucher_list_response.json": fx.VoucherList,
}


def _load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_every_recorded_file_has_a_model() -> None:
    assert sorted(p.name for p in RECORDED.glob("*.json")) == sorted(MODEL_FOR)


@pytest.mark.parametrize("name", sorted(MODEL_FOR))
def test_recorded_body_validates_without_drift(name: str) -> None:
    model = parse_contract(MODEL_FOR[name], _load(name), system="fortnox")
    assert isinstance(model, ContractModel)
    assert model.unknown_fields() == []


def test_invoice_quirks_are_read_as_their_meaning() -> None:
    invoice = fx.InvoiceEnvelope.model_validate(_load("invoice_create_response.json")).invoice
    assert invoice.credit is False  # "false"
    assert not invoice.is_credit_note
    assert invoice.credit_reference is None  # "0"
    assert invoice.document_number == "97"
    assert invoice.total == Decimal("219")
    assert invoice.total_vat == Decimal("43.75")
    assert invoice.invoice_period_start is None  # ""
    assert invoice.due_date == date(2026, 5, 31)
    row = invoice.invoice_rows[0]
    assert row.delivered_quantity == Decimal(1)  # "1"
    assert row.contribution_percent == Decimal(100)  # "100"
    assert row.row_id == 81


def test_order_row_quantities_are_decimals() -> None:
    order = fx.OrderEnvelope.model_validate(_load("order_create_response.json")).order
    row = order.order_rows[0]
    assert (row.ordered_quantity, row.reserved_quantity) == (Decimal(1), Decimal(0))
    assert order.invoice_reference == "0"


def test_both_error_casings_give_code_and_message() -> None:
    lower = fx.FortnoxErrorBody.model_validate(_load("error_400_invalid_filter.json"))
    upper = fx.FortnoxErrorBody.model_validate(_load("error_404_invoice_not_found.json"))
    assert lower.error_information.code == 2000587
    assert upper.error_information.code == 2000434
    assert upper.error_information.message == "Kan inte hitta fakturan."


def test_paging_aliases() -> None:
    listing = fx.CustomerList.model_validate(_load("customer_list_response.json"))
    meta = listing.meta_information
    assert (meta.total_resources, meta.total_pages, meta.current_page) == (1, 1, 1)
    assert listing.customers[0].customer_number == "2"


def test_request_serializes_back_to_fortnox_keys_and_number_types() -> None:
    envelope = fx.InvoiceEnvelope.model_validate(_load("invoice_create_request.json"))
    wire = envelope.model_dump(mode="json", by_alias=True, exclude_none=True)
    invoice = wire["Invoice"]
    assert invoice["VATIncluded"] is False
    assert invoice["OCR"] == "426523791"
    assert invoice["InvoiceRows"][0]["Price"] == 100.0
    assert invoice["InvoiceRows"][0]["DeliveredQuantity"] == "1.0"
    assert invoice["EDIInformation"]["EDIInvoiceExtra1"] == "extra1"
    assert invoice["EmailInformation"]["EmailAddressCC"] == "invoice-cc@example.com"


def test_new_field_is_kept_and_reported_as_drift() -> None:
    body = _load("customer_get_response.json")
    body["Customer"]["LoyaltyTier"] = "gold"
    model = fx.CustomerEnvelope.model_validate(body)
    assert model.unknown_fields() == ["Customer.LoyaltyTier"]
    assert model.customer.model_extra == {"LoyaltyTier": "gold"}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["Invoice"].pop("CustomerNumber"), "CustomerNumber"),
        (lambda b: b["Invoice"].__setitem__("Credit", "maybe"), "Credit"),
        (lambda b: b["Invoice"]["InvoiceRows"][0].__setitem__("Price", "abc"), "Price"),
        (lambda b: b["Invoice"].__setitem__("InvoiceDate", "31/05/2026"), "InvoiceDate"),
    ],
)
def test_broken_body_is_a_data_error_naming_the_field(mutate: Any, field: str) -> None:
    body = _load("invoice_create_response.json")
    mutate(body)
    with pytest.raises(DataError, match=field) as info:
        parse_contract(fx.InvoiceEnvelope, body, system="fortnox")
    assert info.value.error_code == "contract_violation"


def test_unbalanced_voucher_is_refused() -> None:
    body = {
        "Voucher": {
            "VoucherSeries": "A",
            "TransactionDate": "2025-03-20",
            "Description": "Klarna utbetalning",
            "VoucherRows": [
                {"Account": 1930, "Debit": 1270.76, "Credit": 0},
                {"Account": 1580, "Debit": 0, "Credit": 1296.00},
            ],
        }
    }
    with pytest.raises(DataError, match="do not balance"):
        parse_contract(fx.VoucherEnvelope, body)
    body["Voucher"]["VoucherRows"].append({"Account": 6064, "Debit": 25.24, "Credit": 0})
    voucher = parse_contract(fx.VoucherEnvelope, body).voucher
    assert voucher.voucher_rows is not None
    assert sum(r.debit or 0 for r in voucher.voucher_rows) == Decimal("1296.00")
