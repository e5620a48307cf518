"""Generated garbage in any field of a real Fortnox body: accepted as its meaning or refused
with a DataError naming the field, never a crash."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from hypothesis import example, given, settings
from hypothesis import strategies as st

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.fortnox import contract as fx

M = TypeVar("M", bound=pydantic.BaseModel)
RECORDED = Path(__file__).parent / "recorded"
INVOICE = json.loads((RECORDED / "invoice_create_response.json").read_text(encoding="utf-8"))
CUSTOMER = json.loads((RECORDED / "customer_create_response.json").read_text(encoding="utf-8"))

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _outcome(model: type[M], body: dict[str, Any]) -> M | DataError:
    """The parsed model, or the DataError it was refused with (any other exception fails)."""
    try:
        return parse_contract(model, body)
    except DataError as exc:
        return exc


def _mutated(body: dict[str, Any], wrapper: str, key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed[wrapper][key] = value
    return changed


@settings(max_examples=150)
@given(st.sampled_from(sorted(INVOICE["Invoice"])), JSON_VALUES)
def test_any_value_in_an_invoice_field_is_parsed_or_named(key: str, value: Any) -> None:
    parsed = _outcome(fx.InvoiceEnvelope, _mutated(INVOICE, "Invoice", key, value))
    if isinstance(parsed, DataError):
        assert f"Invoice.{key}" in str(parsed)
    else:  # an object where one was expected may bring unknown keys: reported under the field
        assert all(path.startswith(f"Invoice.{key}.") for path in parsed.unknown_fields())


@settings(max_examples=150)
@given(st.sampled_from(sorted(CUSTOMER["Customer"])), JSON_VALUES)
def test_any_value_in_a_customer_field_is_parsed_or_named(key: str, value: Any) -> None:
    parsed = _outcome(fx.CustomerEnvelope, _mutated(CUSTOMER, "Customer", key, value))
    if isinstance(parsed, DataError):
        assert f"Customer.{key}" in str(parsed)
    else:
        assert parsed.customer.name


@given(st.text(max_size=20))
@example("NaN")
@example("-Infinity")
@example("12,50")
def test_text_in_a_number_field_is_a_decimal_or_named(text: str) -> None:
    body = copy.deepcopy(INVOICE)
    body["Invoice"]["InvoiceRows"][0]["Price"] = text
    parsed = _outcome(fx.InvoiceEnvelope, body)
    if isinstance(parsed, DataError):
        assert "InvoiceRows.0.Price" in str(parsed)
    else:
        price = parsed.invoice.invoice_rows[0].price
        assert price is None or price.is_finite()  # money is never NaN or infinite
