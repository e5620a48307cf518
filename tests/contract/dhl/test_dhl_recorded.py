"""Every recorded DHL body validates against its contract model, quirks included."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from westgear_desk.errors import DataError
from westgear_desk.integrations.dhl import contract as dhl
from westgear_desk.integrations.drift import ContractModel, parse_contract

RECORDED = Path(__file__).parent / "recorded"

CASES: dict[str, type[ContractModel]] = {
    "error_404_no_result.json": dhl.Problem,
    "error_429_too_many_requests.json": dhl.Problem,
    "freight_se_error_401_invalid_client_key.json": dhl.FreightError,
    "freight_se_postalcode_error_400.json": dhl.FreightError,
    "freight_se_print_documents_request.json": dhl.PrintDocumentsRequest,
    "freight_se_print_documents_response.json": dhl.PrintDocumentsResponse,
    "freight_se_service_points_error_400.json": dhl.FreightError,
    "freight_se_service_points_response.json": dhl.ServicePointsResponse,
    "freight_se_transport_instruction_rejection_400.json": dhl.TransportInstructionResponse,
    "freight_se_transport_instruction_request.json": dhl.TransportInstruction,
    "freight_se_transport_instruction_response.json": dhl.TransportInstructionResponse,
    "tracking_unified_doc_example_express.json": dhl.TrackingResponse,
}


def load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_every_recorded_file_is_covered() -> None:
    assert {p.name for p in RECORDED.glob("*.json")} == set(CASES)


@pytest.mark.parametrize(("name", "model"), CASES.items())
def test_recorded_body_validates_without_drift(name: str, model: type[ContractModel]) -> None:
    assert model.model_validate(load(name)).unknown_fields() == []


def test_succes_sic_is_a_success_with_piece_ids_as_lists() -> None:
    response = dhl.TransportInstructionResponse.model_validate(
        load("freight_se_transport_instruction_response.json")
    )
    assert response.succeeded
    assert response.transportInstruction is not None
    assert response.transportInstruction.id == "2906761222"
    assert response.transportInstruction.piece_ids() == ["373221512525025094"]


def test_rejection_names_every_field() -> None:
    response = dhl.TransportInstructionResponse.model_validate(
        load("freight_se_transport_instruction_rejection_400.json")
    )
    assert not response.succeeded
    error = dhl.FreightError.model_validate(
        load("freight_se_transport_instruction_rejection_400.json")
    )
    text = error.describe()
    assert "Parties[2].Name: Name is mandatory for party AccessPoint" in text
    assert "Parties[2].PostalCode" in text
    assert error.code() == "22001"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "freight_se_error_401_invalid_client_key.json",
            "No valid application matching client key",
        ),
        ("freight_se_postalcode_error_400.json", "Post code '99999' not found."),
        (
            "freight_se_service_points_error_400.json",
            "The dimensions are too large for servicepoint",
        ),
    ],
)
def test_each_freight_error_envelope_describes_itself(name: str, expected: str) -> None:
    assert expected in dhl.FreightError.model_validate(load(name)).describe()


def test_tracking_quirks_numeric_id_and_zone_less_times() -> None:
    response = dhl.TrackingResponse.model_validate(
        load("tracking_unified_doc_example_express.json")
    )
    shipment = response.shipments[0]
    assert shipment.id == "7777777770"
    event = shipment.events[0]
    assert event.timestamp.tzinfo is not None
    assert event.timestamp.utcoffset() == timedelta(hours=1)  # Stockholm winter time
    assert shipment.status is not None
    assert shipment.status.timestamp.utcoffset() == timedelta(0)  # "Z" kept as UTC
    assert shipment.details is not None
    assert isinstance(shipment.details.references, dhl.TrackingReference)


def test_event_without_location_is_valid() -> None:
    event = dhl.TrackingEvent.model_validate(
        {"timestamp": "2025-03-18T08:41:00", "statusCode": "transit", "status": "IN TRANSIT"}
    )
    assert event.location is None
    assert event.timestamp.tzinfo is not None


def test_problem_404_without_instance() -> None:
    problem = dhl.Problem.model_validate(load("error_404_no_result.json"))
    assert problem.instance is None
    assert problem.status == 404


def test_recorded_print_response_with_omitted_content_is_a_data_error() -> None:
    response = dhl.PrintDocumentsResponse.model_validate(
        load("freight_se_print_documents_response.json")
    )
    with pytest.raises(DataError, match="base64"):
        response.reports[0].data()


# ------------------------------------------------------------------ invalid requests

INVALID: list[tuple[tuple[str | int, ...], Any]] = [
    (("productCode",), ""),
    (("payerCode",), "1"),
    (("parties",), []),
    (("pieces",), []),
    (("pieces", 0, "weight"), 0),
    (("pieces", 0, "weight"), "heavy"),
    (("pieces", 0, "numberOfPieces"), 0),
    (("parties", 1, "address", "countryCode"), "Sweden"),
    (("parties", 1, "address", "postalCode"), ""),
    (("parties", 0, "type"), ""),
]
wrong_type = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
)
cases = st.one_of(
    st.sampled_from(INVALID),
    st.tuples(
        st.sampled_from([p for p, _ in INVALID if p[-1] not in ("parties", "pieces")]), wrong_type
    ),
)


@settings(max_examples=100)
@given(case=cases)
def test_invalid_transport_instruction_is_rejected_naming_the_field(
    case: tuple[tuple[str | int, ...], Any],
) -> None:
    path, value = case
    raw = copy.deepcopy(load("freight_se_transport_instruction_request.json"))
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DataError) as info:
        parse_contract(dhl.TransportInstruction, raw, system="dhl")
    assert ".".join(str(p) for p in path) in str(info.value)
