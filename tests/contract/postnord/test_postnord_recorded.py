"""Every recorded PostNord body validates against its contract model, quirks included."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel, parse_contract
from westgear_desk.integrations.postnord import contract as pn

RECORDED = Path(__file__).parent / "recorded"
EXAMPLE_REQUEST = Path(__file__).with_name("booking_request_example.json")

CASES: dict[str, type[ContractModel]] = {
    "booking_edi_labels_response_MOCK.json": pn.EdiLabelResponse,
    "customs_declaration_error_compositefault_sandbox.json": pn.ErrorResponse,
    "customs_declaration_response_production.json": pn.BookingResponse,
    "error_403_gateway_invalid_api_key.json": pn.GatewayError,
    "servicepoints_find_by_id_response.json": pn.ServicePointsEnvelope,
    "tracking_findbyidentifier_v5_doc_example.json": pn.TrackingEnvelope,
}


def load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_every_recorded_file_is_covered() -> None:
    names = {p.name for p in RECORDED.glob("*.json")}
    assert names == {*CASES, "labels_by_id_fail_response_sandbox.json"}


@pytest.mark.parametrize(("name", "model"), CASES.items())
def test_recorded_body_validates_without_drift(name: str, model: type[ContractModel]) -> None:
    parsed = model.model_validate(load(name))
    assert parsed.unknown_fields() == []


def test_label_by_id_failure_list_validates() -> None:
    printouts = TypeAdapter(list[pn.LabelPrintout]).validate_python(
        load("labels_by_id_fail_response_sandbox.json")
    )
    item = printouts[0].itemIds[0]
    assert item.status == "FAIL"
    assert item.errorResponse is not None
    assert item.errorResponse.message == "id not found"


def test_tracking_quirks_strings_and_local_times() -> None:
    envelope = pn.TrackingEnvelope.model_validate(
        load("tracking_findbyidentifier_v5_doc_example.json")
    )
    shipment = envelope.TrackingInformationResponse.shipments[0]
    assert shipment.status is pn.ShipmentStatus.DELIVERED
    assert shipment.totalWeight is not None
    assert shipment.totalWeight.value == Decimal("2.25")
    event = shipment.items[0].events[0]
    assert event.eventTime.tzinfo is not None
    assert event.eventTime.utcoffset() == timedelta(hours=2)  # CEST on 3 Sep 2020
    assert shipment.items[0].events[-3].location is not None
    assert shipment.items[0].events[-3].location.locationId is None


def test_upper_case_item_id_type_is_an_item_id() -> None:
    booking = pn.BookingResponse.model_validate(
        load("customs_declaration_response_production.json")
    )
    assert booking.item_ids() == ["UX478114854SE"]


def test_error_response_describes_its_faults() -> None:
    error = pn.ErrorResponse.model_validate(
        load("customs_declaration_error_compositefault_sandbox.json")
    )
    assert error.first_code() == "SAO-BR-24041806"
    assert "Unable to find EDI: UX304478491SE" in error.describe()


def test_zpl_printout_with_encoding_none_is_raw_text() -> None:
    printout = pn.Printout(type="LABEL", labelFormat="ZPL", encoding="none", data="^XA^FDx^FS^XZ")
    assert printout.content() == b"^XA^FDx^FS^XZ"
    pdf = pn.Printout(type="LABEL", labelFormat="PDF", data=base64.b64encode(b"%PDF-1.4").decode())
    assert pdf.content() == b"%PDF-1.4"


def test_bad_base64_label_is_a_data_error() -> None:
    with pytest.raises(DataError, match="base64"):
        pn.Printout(type="LABEL", labelFormat="PDF", data="not base64!").content()


def test_reference_booking_example_validates_and_round_trips() -> None:
    raw = json.loads(EXAMPLE_REQUEST.read_text(encoding="utf-8"))
    instruction = pn.EdiInstruction.model_validate(raw)
    assert instruction.unknown_fields() == []
    dumped = instruction.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["shipment"][0]["totalGrossWeight"]["value"] == 1.4  # sent as a JSON number
    assert pn.EdiInstruction.model_validate(dumped) == instruction


def test_unknown_field_is_kept_and_reported() -> None:
    body = load("tracking_findbyidentifier_v5_doc_example.json")
    body["TrackingInformationResponse"]["shipments"][0]["brandNewField"] = {"x": 1}
    envelope = pn.TrackingEnvelope.model_validate(body)
    assert envelope.unknown_fields() == ["TrackingInformationResponse.shipments.0.brandNewField"]


# ------------------------------------------------------------------ invalid booking payloads

REQUIRED_PATHS = [
    ("messageDate",),
    ("messageId",),
    ("application",),
    ("shipment",),
    ("shipment", 0, "service"),
    ("shipment", 0, "parties", "consignee"),
    ("shipment", 0, "parties", "consignee", "party", "address", "postalCode"),
    ("shipment", 0, "goodsItem", 0, "items"),
]
BAD_VALUES: list[tuple[tuple[str | int, ...], Any]] = [
    (("messageDate",), "yesterday"),
    (("updateIndicator",), "Replace"),
    (("application", "applicationId"), "abc"),
    (("application", "name"), "x" * 36),
    (("shipment",), []),
    (("shipment", 0, "numberOfPackages", "value"), 0),
    (("shipment", 0, "totalGrossWeight", "value"), -1),
    (("shipment", 0, "goodsItem", 0, "packageTypeCode"), "XX"),
    (("shipment", 0, "parties", "consignee", "party", "address", "countryCode"), "Sweden"),
    (("shipment", 0, "parties", "consignee", "party", "nameIdentification", "name"), "n" * 61),
    (("shipment", 0, "parties", "consignor", "issuerCode"), "Z99"),
]


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _delete(doc: Any, path: tuple[str | int, ...]) -> None:
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


wrong_type = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
)
mutations = st.one_of(
    st.sampled_from(REQUIRED_PATHS).map(lambda p: ("delete", p, None)),
    st.sampled_from(BAD_VALUES).map(lambda pv: ("set", pv[0], pv[1])),
    st.tuples(st.just("set"), st.sampled_from([p for p, _ in BAD_VALUES]), wrong_type),
)


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutations)
def test_invalid_booking_is_rejected_naming_the_field(mutation: tuple[str, Any, Any]) -> None:
    action, path, value = mutation
    raw = copy.deepcopy(json.loads(EXAMPLE_REQUEST.read_text(encoding="utf-8")))
    if action == "delete":
        _delete(raw, path)
    else:
        _set(raw, path, value)
    with pytest.raises(DataError) as info:
        parse_contract(pn.EdiInstruction, raw, system="postnord")
    named = ".".join(str(p) for p in path)
    assert named in str(info.value)
    assert info.value.error_code == "contract_violation"
