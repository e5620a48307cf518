"""DhlClient against the DHL sandbox over loopback HTTP: booking, labels, tracking, errors."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from westgear_desk.domain.sscc import is_valid_sscc
from westgear_desk.errors import (
    AuthenticationError,
    ConnectionFailure,
    DataError,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.dhl import contract as dc
from westgear_desk.integrations.dhl.client import DhlClient, DhlTrackingClient

REQUEST = Path(__file__).parent / "recorded" / "freight_se_transport_instruction_request.json"
MAX_POLLS = 12
ACCESS_POINT = {
    "type": "AccessPoint",
    "subType": "ParcelShop",
    "id": "SE-514210",
    "name": "Pressbyrån Järntorget",
    "address": {
        "street": "Järntorget 3",
        "cityName": "Göteborg",
        "postalCode": "41304",
        "countryCode": "SE",
    },
}


def example(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(REQUEST.read_text(encoding="utf-8"))
    consignee = raw["parties"][1]
    consignee["name"] = changes.get("name", "Erik Lund")
    consignee["address"]["postalCode"] = changes.get("postal_code", "41319")
    consignee["address"]["cityName"] = "Göteborg"
    if "pieces" in changes:
        raw["pieces"][0]["numberOfPieces"] = changes["pieces"]
    if "product" in changes:
        raw["productCode"] = changes["product"]
    return raw


def instruction(**changes: Any) -> dc.TransportInstruction:
    return dc.TransportInstruction.model_validate(example(**changes))


ADMIN = httpx.Client(timeout=10.0)  # one pool for the admin calls (a fresh client costs ~0.1 s)


@pytest.fixture(scope="module", autouse=True)
def _close_admin() -> Iterator[None]:
    yield
    ADMIN.close()


def set_faults(url: str, **faults: Any) -> None:
    ADMIN.put(f"{url}/_sandbox/faults", json=faults).raise_for_status()


# ------------------------------------------------------------------ booking and labels


def test_booking_returns_id_and_valid_piece_ssccs(dhl: DhlClient) -> None:
    booked = dhl.book(instruction(pieces=3))
    assert booked.id is not None
    assert len(booked.id) == 10
    assert booked.id.isdigit()
    assert len(booked.piece_ids()) == 3
    assert all(is_valid_sscc(p) for p in booked.piece_ids())
    assert booked.routingCode == "2LSE41319+02000000"
    assert booked.unknown_fields() == []


def test_printed_label_is_a_pdf_with_sscc_and_postal_code(dhl: DhlClient) -> None:
    booked = dhl.book(instruction(name="Erik Lund", postal_code="41319", pieces=2))
    assert booked.id is not None
    (report,) = dhl.print_labels([booked.id])
    assert report.contentType == "application/pdf"
    assert report.unknown_fields() == []
    reader = PdfReader(io.BytesIO(report.data()))
    assert len(reader.pages) == 2
    for page, piece_id in zip(reader.pages, booked.piece_ids(), strict=True):
        text = page.extract_text()
        assert piece_id in text
        assert "41319" in text
        assert "Erik Lund" in text
        assert "DHL Paket" in text


def test_service_point_booking_shows_the_access_point(dhl: DhlClient) -> None:
    raw = example(product="103")
    raw["parties"].append(copy.deepcopy(ACCESS_POINT))
    booked = dhl.book(dhl_model(raw))
    assert booked.id is not None
    text = PdfReader(io.BytesIO(dhl.print_labels([booked.id])[0].data())).pages[0].extract_text()
    assert "Pressbyrån Järntorget" in text


def dhl_model(raw: dict[str, Any]) -> dc.TransportInstruction:
    return dc.TransportInstruction.model_validate(raw)


def test_printing_an_unknown_shipment_is_a_data_error(dhl: DhlClient) -> None:
    with pytest.raises(DataError, match="not found"):
        dhl.print_labels(["1234567890"])


# ------------------------------------------------------------------ rejections


def test_access_point_without_name_and_address_is_rejected_like_dhl(dhl: DhlClient) -> None:
    raw = example(product="103")
    raw["parties"].append({"type": "AccessPoint", "subType": "ParcelShop", "id": "SE-514210"})
    with pytest.raises(DataError) as info:
        dhl.book(dhl_model(raw))
    assert "Parties[2].Name: Name is mandatory for party AccessPoint" in str(info.value)
    assert "Parties[2].Address.Address" in str(info.value)
    assert info.value.error_code == "22001"
    assert info.value.status_code == 400


def test_invalid_postal_code_is_a_data_error_naming_the_field(dhl: DhlClient) -> None:
    with pytest.raises(DataError) as info:
        dhl.book(instruction(postal_code="4131"))
    assert "Parties[1].Address.PostalCode" in str(info.value)


def test_rejection_with_http_200_is_a_data_error(
    dhl: DhlClient, dhl_url: str, api_key: str
) -> None:
    raw = ADMIN.post(
        f"{dhl_url}/transportinstructionapi/v1/transportinstruction/sendtransportinstruction",
        json=example(product="999"),
        headers={"client-key": api_key},
    )
    assert raw.status_code == 200
    assert raw.json()["status"] == "Error"
    with pytest.raises(DataError) as info:
        dhl.book(instruction(product="999"))
    assert "ProductCode" in str(info.value)
    assert info.value.error_code == "22026"


# ------------------------------------------------------------------ tracking


def test_tracking_poll_sees_the_shipment_move_to_delivered(dhl: DhlClient) -> None:
    booked = dhl.book(instruction())
    assert booked.id is not None
    codes = []
    for _ in range(MAX_POLLS):
        (shipment,) = dhl.track(booked.id)
        assert shipment.unknown_fields() == []
        assert shipment.status is not None
        codes.append(shipment.status.statusCode)
        if shipment.is_delivered():
            break
    assert codes[0] is dc.StatusCode.PRE_TRANSIT
    assert dc.StatusCode.TRANSIT in codes
    assert codes[-1] is dc.StatusCode.DELIVERED
    assert all(e.timestamp.tzinfo is not None for e in shipment.events)
    assert shipment.events[-1].location is None  # the first event carries no location
    assert shipment.details is not None
    assert shipment.details.proofOfDelivery is not None


def test_piece_sscc_tracks_the_same_shipment(dhl: DhlClient) -> None:
    booked = dhl.book(instruction())
    (shipment,) = dhl.track("00" + booked.piece_ids()[0])
    assert shipment.id == booked.id


def test_admin_endpoint_advances_explicitly(dhl: DhlClient, dhl_url: str) -> None:
    ADMIN.put(f"{dhl_url}/_sandbox/dhl/tracking", json={"advance_on_poll": False})
    booked = dhl.book(instruction())
    assert booked.id is not None
    dhl.track(booked.id)
    status = dhl.track(booked.id)[0].status
    assert status is not None
    assert status.statusCode is dc.StatusCode.PRE_TRANSIT
    answer = ADMIN.post(f"{dhl_url}/_sandbox/dhl/shipments/{booked.id}/advance")
    assert answer.json()["statusCode"] == "transit"
    ADMIN.post(f"{dhl_url}/_sandbox/dhl/shipments/{booked.id}/advance", json={"to": "delivered"})
    assert dhl.track(booked.id)[0].is_delivered()


def test_unknown_tracking_number_is_empty_from_the_real_404(
    dhl: DhlClient, dhl_url: str, api_key: str
) -> None:
    raw = ADMIN.get(
        f"{dhl_url}/track/shipments",
        params={"trackingNumber": "1111111111"},
        headers={"DHL-API-Key": api_key},
    )
    assert raw.status_code == 404
    assert raw.headers["content-type"].startswith("application/problem+json")
    assert dc.Problem.model_validate(raw.json()).unknown_fields() == []
    assert "instance" not in raw.json()
    assert dhl.track("1111111111") == []


# ------------------------------------------------------------------ service points


def test_service_points_near_a_postal_code(dhl: DhlClient) -> None:
    points = dhl.find_service_points("11151")
    assert len(points) == 5
    assert all(p.unknown_fields() == [] for p in points)
    assert all(p.postalCode and p.postalCode.startswith("111") for p in points)


def test_unknown_postal_code_uses_the_pascal_case_error(dhl: DhlClient) -> None:
    with pytest.raises(DataError, match="Post code '123' not found"):
        dhl.find_service_points("123")


# ------------------------------------------------------------------ authentication and faults


def test_wrong_freight_key_gives_the_real_401(dhl_url: str) -> None:
    raw = ADMIN.get(
        f"{dhl_url}/servicepointlocatorapi/servicepoint/findnearestservicepoints",
        params={"postalCode": "11151"},
        headers={"client-key": "nope"},
    )
    assert raw.status_code == 401
    assert dc.FreightError.model_validate(raw.json()).unknown_fields() == []
    assert raw.json() == {"error": "No valid application matching client key"}
    with DhlClient(dhl_url, "nope") as client, pytest.raises(AuthenticationError) as info:
        client.book(instruction())
    assert "No valid application matching client key" in str(info.value)


def test_wrong_tracking_key_is_an_authentication_error(dhl_url: str, api_key: str) -> None:
    with DhlClient(dhl_url, api_key, tracking_api_key="nope") as client:
        assert client.find_service_points("11151")  # the freight key still works
        with pytest.raises(AuthenticationError, match="Unauthorized"):
            client.track("1111111111")


def test_keys_never_appear_in_call_records(
    dhl: DhlClient, api_key: str, records: list[CallRecord]
) -> None:
    booked = dhl.book(instruction())
    assert booked.id is not None
    dhl.print_labels([booked.id])
    dhl.track(booked.id)
    assert [r.endpoint for r in records] == [
        "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction",
        "/printapi/v1/print/printdocumentsbyid",
        "/track/shipments",
    ]
    assert all(api_key not in repr(r) for r in records)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        ({"error_rate": 1.0}, ServerError),
        ({"rate_limit_rate": 1.0, "retry_after_s": 3}, RateLimitedError),
        ({"malformed_rate": 1.0}, ServerError),
        ({"drop_rate": 1.0}, ConnectionFailure),
    ],
)
def test_fault_types_map_to_their_exceptions(
    dhl: DhlClient, dhl_url: str, faults: dict[str, Any], error: type[Exception]
) -> None:
    set_faults(dhl_url, **faults)
    with pytest.raises(error) as info:
        dhl.book(instruction())
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 3


def test_timeout_fault_is_a_timeout_failure(dhl_url: str, api_key: str) -> None:
    set_faults(dhl_url, timeout_rate=1.0)
    with DhlTrackingClient(dhl_url, api_key, timeout=0.5) as client, pytest.raises(TimeoutFailure):
        client.track("1111111111")


def test_drift_renamed_field_is_reported(dhl: DhlClient, dhl_url: str) -> None:
    booked = dhl.book(instruction())
    assert booked.id is not None
    set_faults(dhl_url, drift="renamed_field")
    (shipment,) = dhl.track(booked.id)
    assert shipment.unknown_fields() == ["status.statusKey"]
    assert shipment.status is not None
    assert shipment.status.statusCode is None


# ------------------------------------------------------------------ generated invalid bookings

INVALID: list[tuple[tuple[str | int, ...], Any]] = [
    (("productCode",), ""),
    (("payerCode", "code"), None),
    (("pieces", 0, "weight"), -1),
    (("pieces", 0, "numberOfPieces"), 0),
    (("parties", 1, "address", "postalCode"), "1234"),
    (("parties", 1, "address", "postalCode"), "ABCDE"),
    (("parties", 1, "address", "countryCode"), "Sverige"),
    (("parties", 0, "id"), None),
]
PATH_NAMES = {
    ("productCode",): "ProductCode",
    ("payerCode", "code"): "PayerCode.Code",
    ("pieces", 0, "weight"): "Pieces[0].Weight",
    ("pieces", 0, "numberOfPieces"): "Pieces[0].NumberOfPieces",
    ("parties", 1, "address", "postalCode"): "Parties[1].Address.PostalCode",
    ("parties", 1, "address", "countryCode"): "Parties[1].Address.CountryCode",
    ("parties", 0, "id"): "Parties[0].Id",
}
wrong_type = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
)
cases = st.one_of(
    st.sampled_from(INVALID),
    st.tuples(st.sampled_from([p for p, _ in INVALID if p != ("parties", 0, "id")]), wrong_type),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cases)
def test_generated_invalid_bookings_are_rejected_by_field_never_crash(
    dhl: DhlClient, case: tuple[tuple[str | int, ...], Any]
) -> None:
    path, value = case
    raw = example()
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DataError) as info:
        dhl.request_json(
            "POST",
            "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction",
            json=raw,
        )
    assert info.value.status_code == 400
    assert PATH_NAMES[path] in str(info.value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values)
def test_arbitrary_json_is_answered_400_never_500(dhl_url: str, api_key: str, body: Any) -> None:
    for path in (
        "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction",
        "/printapi/v1/print/printdocumentsbyid",
    ):
        answer = ADMIN.post(f"{dhl_url}{path}", headers={"client-key": api_key}, json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["status"] == "Error"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=40) | st.sampled_from(["²²²²²", "１２３４５", "00" + "³" * 18]))
def test_arbitrary_query_values_never_crash(dhl_url: str, api_key: str, value: str) -> None:
    tracked = ADMIN.get(
        f"{dhl_url}/track/shipments",
        params={"trackingNumber": value},
        headers={"DHL-API-Key": api_key},
    )
    assert tracked.status_code in (200, 400, 404), tracked.text
    points = ADMIN.get(
        f"{dhl_url}/servicepointlocatorapi/servicepoint/findnearestservicepoints",
        params={"postalCode": value},
        headers={"client-key": api_key},
    )
    assert points.status_code in (200, 400), points.text
