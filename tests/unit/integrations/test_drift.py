"""ContractModel keeps unknown fields at any depth and reports each by its dotted path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel, parse_contract


class Row(ContractModel):
    article_number: str = Field(alias="ArticleNumber")
    quantity: int = Field(alias="DeliveredQuantity")


class Address(ContractModel):
    city: str = Field(alias="City")
    zip_code: str | None = Field(default=None, alias="ZipCode")


class Invoice(ContractModel):
    document_number: str = Field(alias="DocumentNumber")
    rows: list[Row] = Field(alias="InvoiceRows")
    address: Address | None = Field(default=None, alias="Address")
    per_warehouse: dict[str, Row] = Field(default_factory=dict, alias="PerWarehouse")


def _known(model: type[ContractModel]) -> set[str]:
    names = set(model.model_fields)
    names |= {f.alias for f in model.model_fields.values() if f.alias}
    return names


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
rows = st.builds(
    lambda art, qty: {"ArticleNumber": art, "DeliveredQuantity": qty},
    st.text(min_size=1, max_size=8),
    st.integers(0, 500),
)
invoices = st.fixed_dictionaries(
    {"DocumentNumber": st.text(min_size=1, max_size=6), "InvoiceRows": st.lists(rows, max_size=4)},
    optional={
        "Address": st.fixed_dictionaries({"City": st.text(max_size=8)}),
        "PerWarehouse": st.dictionaries(st.sampled_from(["GBG", "STO", "MMA"]), rows, max_size=3),
    },
)


def _containers(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], type[ContractModel]]]:
    """Every dict in `doc` that becomes a model: (dotted path, the dict, its model class)."""
    found: list[tuple[str, dict[str, Any], type[ContractModel]]] = [("", doc, Invoice)]
    for index, row in enumerate(doc["InvoiceRows"]):
        found.append((f"InvoiceRows.{index}", row, Row))
    if "Address" in doc:
        found.append(("Address", doc["Address"], Address))
    for key, row in doc.get("PerWarehouse", {}).items():
        found.append((f"PerWarehouse.{key}", row, Row))
    return found


def _at(tree: Any, path: str) -> Any:
    for part in filter(None, path.split(".")):
        tree = tree[int(part)] if isinstance(tree, list) else tree[part]
    return tree


@given(doc=invoices, data=st.data(), value=json_values)
def test_an_unknown_key_at_any_depth_is_reported_and_kept(
    doc: dict[str, Any], data: st.DataObject, value: Any
) -> None:
    path, container, model = data.draw(st.sampled_from(_containers(doc)))
    key = data.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in _known(model)))
    container[key] = value

    invoice = Invoice.model_validate(doc)

    expected = f"{path}.{key}" if path else key
    assert invoice.unknown_fields() == [expected]
    assert _at(invoice.model_dump(by_alias=True), path)[key] == value


@given(doc=invoices)
def test_a_payload_without_unknown_fields_reports_nothing(doc: dict[str, Any]) -> None:
    assert Invoice.model_validate(doc).unknown_fields() == []


def test_every_unknown_field_is_reported_once() -> None:
    doc = {
        "DocumentNumber": "1001",
        "NewTopLevel": 1,
        "InvoiceRows": [
            {"ArticleNumber": "KAJ-1", "DeliveredQuantity": 1},
            {"ArticleNumber": "PFD-2", "DeliveredQuantity": 2, "Discount": {"Type": "PERCENT"}},
        ],
        "Address": {"City": "Göteborg", "Country": "SE"},
        "PerWarehouse": {"GBG": {"ArticleNumber": "X", "DeliveredQuantity": 0, "Bin": "A1"}},
    }
    assert sorted(Invoice.model_validate(doc).unknown_fields()) == [
        "Address.Country",
        "InvoiceRows.1.Discount",
        "NewTopLevel",
        "PerWarehouse.GBG.Bin",
    ]


def test_parse_contract_names_the_failing_field() -> None:
    doc = {"DocumentNumber": "1", "InvoiceRows": [{"ArticleNumber": "A", "DeliveredQuantity": "x"}]}
    with pytest.raises(DataError, match=r"InvoiceRows\.0\.DeliveredQuantity") as caught:
        parse_contract(Invoice, doc, system="fortnox")
    assert caught.value.error_code == "contract_violation"
    assert caught.value.system == "fortnox"


@given(payload=json_values)
def test_parse_contract_never_lets_a_validation_error_escape(payload: Any) -> None:
    with pytest.raises(DataError, match="does not match the contract"):
        parse_contract(Invoice, payload)
