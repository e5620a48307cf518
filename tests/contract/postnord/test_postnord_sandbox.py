"""PostNordClient against the PostNord sandbox over loopback HTTP: labels, tracking, errors."""

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
from reportlab.lib.units import mm

from westgear_desk.domain.sscc import is_valid_sscc, normalize_sscc
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
from westgear_desk.integrations.postnord import contract as pn
from westgear_desk.integrations.postnord.client import PostNordClient

EXAMPLE = Path(__file__).with_name("booking_request_example.json")


def example(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    shipment = raw["shipment"][0]
    consignee = shipment["parties"]["consignee"]["party"]
    consignee["nameIdentification"]["name"] = changes.get("name", "Lisa Berg")
    consignee["address"]["postalCode"] = changes.get("postal_code", "41104")
    if "weight" in changes:
        shipment["goodsItem"][0]["items"][0]["grossWeight"]["value"] = changes["weight"]
    if "service" in changes:
        shipment["service"]["basicServiceCode"] = changes["service"]
    return raw


def instruction(**changes: Any) -> pn.EdiInstruction:
    return pn.EdiInstruction.model_validate(example(**changes))


ADMIN = httpx.Client(timeout=10.0)  # one pool for the admin calls (a fresh client costs ~0.1 s)


@pytest.fixture(scope="module", autouse=True)
def _close_admin() -> Iterator[None]:
    yield
    ADMIN.close()


def set_faults(url: str, **faults: Any) -> None:
    ADMIN.put(f"{url}/_sandbox/faults", json=faults).raise_for_status()


# ------------------------------------------------------------------ booking and labels


def test_booking_yields_a_pdf_holding_the_sscc_and_postal_code(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction(name="Lisa Berg", postal_code="41319"))
    (item_id,) = booked.item_ids
    sscc = normalize_sscc(item_id)
    assert is_valid_sscc(sscc)
    assert item_id == "00" + sscc
    (label,) = booked.labels
    assert label.label_format == "PDF"
    reader = PdfReader(io.BytesIO(label.content))
    page = reader.pages[0]
    text = page.extract_text()
    assert sscc in text
    assert "41319" in text
    assert "Lisa Berg" in text
    assert "MyPack Collect" in text
    assert float(page.mediabox.width) == pytest.approx(105 * mm, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(190 * mm, abs=0.5)


def test_zpl_label_is_raw_zpl_text_holding_the_sscc(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction(), label_format="zpl")
    printout = booked.response.labelPrintout[0].printout
    assert printout is not None
    assert printout.encoding == "none"
    zpl = booked.labels[0].content.decode("utf-8")
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    sscc = normalize_sscc(booked.item_ids[0])
    assert f">;>800{sscc}" in zpl  # GS1-128: start C, FNC1, AI 00, SSCC
    assert "41104 Göteborg" in zpl


def test_each_parcel_gets_its_own_valid_sscc_and_page(postnord: PostNordClient) -> None:
    raw = example()
    items = raw["shipment"][0]["goodsItem"][0]["items"]
    items.append(copy.deepcopy(items[0]))
    raw["shipment"][0]["numberOfPackages"]["value"] = 2
    booked = postnord.book_with_labels(pn.EdiInstruction.model_validate(raw))
    assert len(set(booked.item_ids)) == 2
    assert all(is_valid_sscc(normalize_sscc(i)) for i in booked.item_ids)
    pages = PdfReader(io.BytesIO(booked.labels[0].content)).pages
    assert len(pages) == 2
    for page, item_id in zip(pages, booked.item_ids, strict=True):
        assert normalize_sscc(item_id) in page.extract_text()


def test_labels_can_be_printed_again_by_item_id(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction())
    (label,) = postnord.reprint_labels(booked.item_ids)
    text = PdfReader(io.BytesIO(label.content)).pages[0].extract_text()
    assert normalize_sscc(booked.item_ids[0]) in text
    with pytest.raises(DataError, match="id not found"):
        postnord.reprint_labels(["00373500450000000010"])


def test_book_without_labels_returns_ids(postnord: PostNordClient) -> None:
    booking = postnord.book(instruction())
    assert len(booking.item_ids()) == 1
    assert booking.unknown_fields() == []


# ------------------------------------------------------------------ tracking


def test_tracking_advances_on_each_poll_until_delivered(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction())
    seen = []
    for _ in range(10):
        (shipment,) = postnord.track(booked.item_ids[0])
        assert shipment.unknown_fields() == []
        seen.append(shipment.status)
        if shipment.status is pn.ShipmentStatus.DELIVERED:
            break
    assert seen[0] is pn.ShipmentStatus.INFORMED
    assert pn.ShipmentStatus.EN_ROUTE in seen
    assert pn.ShipmentStatus.AVAILABLE_FOR_DELIVERY in seen
    assert seen[-1] is pn.ShipmentStatus.DELIVERED
    events = shipment.items[0].events
    assert all(e.eventTime.tzinfo is not None for e in events)
    assert shipment.deliveryDate is not None


def test_admin_endpoint_advances_explicitly(postnord_url: str, postnord: PostNordClient) -> None:
    ADMIN.put(f"{postnord_url}/_sandbox/postnord/tracking", json={"advance_on_poll": False})
    booked = postnord.book_with_labels(instruction(service="17"))
    item_id = booked.item_ids[0]
    assert postnord.track(item_id)[0].status is pn.ShipmentStatus.INFORMED
    assert postnord.track(item_id)[0].status is pn.ShipmentStatus.INFORMED
    answer = ADMIN.post(f"{postnord_url}/_sandbox/postnord/shipments/{item_id}/advance")
    assert answer.json()["status"] == "EN_ROUTE"
    assert postnord.track(item_id)[0].status is pn.ShipmentStatus.EN_ROUTE
    ADMIN.post(
        f"{postnord_url}/_sandbox/postnord/shipments/{item_id}/advance", json={"to": "DELIVERED"}
    )
    (shipment,) = postnord.track(normalize_sscc(item_id))
    assert shipment.status is pn.ShipmentStatus.DELIVERED
    assert len(shipment.items[0].events) == 5
    unknown = ADMIN.post(f"{postnord_url}/_sandbox/postnord/shipments/00123/advance")
    assert unknown.status_code == 404


def test_unknown_id_tracks_as_empty(postnord: PostNordClient) -> None:
    assert postnord.track("00373500450000000010") == []


def test_invalid_tracking_id_is_a_data_error(postnord: PostNordClient) -> None:
    with pytest.raises(DataError, match="id"):
        postnord.track("x")


# ------------------------------------------------------------------ service points


def test_service_points_near_a_postal_code(postnord: PostNordClient) -> None:
    points = postnord.find_service_points("41104", limit=3)
    assert len(points) == 3
    assert all(p.deliveryAddress and p.deliveryAddress.postalCode for p in points)
    assert all(p.unknown_fields() == [] for p in points)
    assert points[0].deliveryAddress is not None
    assert points[0].deliveryAddress.postalCode.startswith("411")


def test_bad_postal_code_for_service_points_is_a_data_error(postnord: PostNordClient) -> None:
    with pytest.raises(DataError, match="postalCode"):
        postnord.find_service_points("12")


# ------------------------------------------------------------------ authentication


def test_wrong_key_gives_the_gateway_403_and_authentication_error(postnord_url: str) -> None:
    raw = ADMIN.get(
        f"{postnord_url}/rest/shipment/v5/trackandtrace/findByIdentifier.json",
        params={"apikey": "wrong", "id": "00373500450000000010"},
    )
    assert raw.status_code == 403
    body = pn.GatewayError.model_validate(raw.json())
    assert body.error.message == "Invalid API Key"
    assert body.unknown_fields() == []
    with (
        PostNordClient(postnord_url, "f" * 32) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.track("00373500450000000010")
    assert info.value.status_code == 403
    assert "Invalid API Key" in str(info.value)
    assert info.value.request_id == body.error.xrequestid or info.value.request_id


def test_empty_key_is_postnords_missing_parameter_fault(postnord_url: str) -> None:
    with PostNordClient(postnord_url, "") as client, pytest.raises(AuthenticationError) as info:
        client.track("00373500450000000010")
    assert info.value.error_code == "API-005"
    assert "apikey" in str(info.value)


def test_apikey_never_appears_in_call_records_or_errors(
    postnord: PostNordClient, apikey: str, records: list[CallRecord], postnord_url: str
) -> None:
    postnord.book_with_labels(instruction())
    postnord.track("00373500450000000010")
    with pytest.raises(DataError) as info:
        postnord.find_service_points("1")
    set_faults(postnord_url, error_rate=1.0)
    with pytest.raises(ServerError) as server_error:
        postnord.track("00373500450000000010")
    assert len(records) == 4
    for record in records:
        assert apikey not in repr(record)
        assert "?" not in record.endpoint
    assert apikey not in str(info.value)
    assert apikey not in str(server_error.value)
    assert records[0].endpoint == "/rest/shipment/v3/edi/labels/{label_format}"


# ------------------------------------------------------------------ rejections and faults


def test_invalid_postal_code_is_a_data_error_naming_the_field(postnord: PostNordClient) -> None:
    with pytest.raises(DataError) as info:
        postnord.book_with_labels(instruction(postal_code="4110"))
    assert "parties.consignee.party.address.postalCode" in str(info.value)
    assert info.value.status_code == 400


def test_overweight_parcel_is_refused_as_a_business_rule(postnord: PostNordClient) -> None:
    with pytest.raises(BusinessRuleError) as info:
        postnord.book_with_labels(instruction(weight=24.5))
    assert "20 kg" in str(info.value)
    assert info.value.error_code == "BKG-2001"


def test_unknown_service_is_refused(postnord: PostNordClient) -> None:
    with pytest.raises(BusinessRuleError, match="basicServiceCode"):
        postnord.book(instruction(service="99"))


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        ({"error_rate": 1.0}, ServerError),
        ({"rate_limit_rate": 1.0, "retry_after_s": 7}, RateLimitedError),
        ({"malformed_rate": 1.0}, ServerError),
        ({"drop_rate": 1.0}, ConnectionFailure),
    ],
)
def test_fault_types_map_to_their_exceptions(
    postnord: PostNordClient, postnord_url: str, faults: dict[str, Any], error: type[Exception]
) -> None:
    set_faults(postnord_url, **faults)
    with pytest.raises(error) as info:
        postnord.track("00373500450000000010")
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 7


def test_timeout_fault_is_a_timeout_failure(postnord_url: str, apikey: str) -> None:
    set_faults(postnord_url, timeout_rate=1.0)
    with PostNordClient(postnord_url, apikey, timeout=0.5) as client, pytest.raises(TimeoutFailure):
        client.track("00373500450000000010")


def test_drift_new_field_is_reported_not_lost(postnord: PostNordClient, postnord_url: str) -> None:
    booked = postnord.book_with_labels(instruction())
    set_faults(postnord_url, drift="new_field")
    raw = postnord.request_json(
        "GET",
        "/rest/shipment/v5/trackandtrace/findByIdentifier.json",
        params={"id": booked.item_ids[0]},
    )
    envelope = pn.TrackingEnvelope.model_validate(raw)
    assert envelope.unknown_fields() == ["TrackingInformationResponse.sandboxNewField"]


# ------------------------------------------------------------------ generated invalid bookings

INVALID: list[tuple[tuple[str | int, ...], Any]] = [
    (("messageId",), ""),
    (("messageDate",), "2025-13-45"),
    (("application", "applicationId"), "one"),
    (("shipment", 0, "service", "basicServiceCode"), "12345678901"),
    (("shipment", 0, "numberOfPackages", "value"), 0),
    (("shipment", 0, "totalGrossWeight", "value"), -2),
    (("shipment", 0, "parties", "consignee", "party", "address", "postalCode"), "4110"),
    (("shipment", 0, "parties", "consignee", "party", "address", "postalCode"), "ABCDE"),
    (("shipment", 0, "parties", "consignee", "party", "address", "countryCode"), "Sverige"),
    (("shipment", 0, "goodsItem", 0, "packageTypeCode"), "ZZ"),
    (
        ("shipment", 0, "goodsItem", 0, "items", 0, "itemIdentification", "itemId"),
        "373500454541020958",
    ),
]
wrong_type = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
)
cases = st.one_of(
    st.sampled_from(INVALID),
    st.tuples(st.sampled_from([p for p, _ in INVALID]), wrong_type),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cases)
def test_generated_invalid_bookings_are_rejected_by_field_never_crash(
    postnord: PostNordClient, case: tuple[tuple[str | int, ...], Any]
) -> None:
    path, value = case
    raw = example()
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DataError) as info:
        postnord.request_json("POST", "/rest/shipment/v3/edi/labels/pdf", json=raw)
    assert info.value.status_code == 400
    assert ".".join(str(p) for p in path) in str(info.value)


# ------------------------------------------------------------------ sandbox bodies vs contract


def test_sandbox_error_and_refusal_bodies_validate(postnord_url: str, apikey: str) -> None:
    url = f"{postnord_url}/rest/shipment/v3/edi/labels/pdf"
    invalid = ADMIN.post(url, params={"apikey": apikey}, json=example(postal_code="1"))
    assert invalid.status_code == 400
    error = pn.ErrorResponse.model_validate(invalid.json())
    assert error.unknown_fields() == []
    assert error.compositeFault is not None
    refused = ADMIN.post(url, params={"apikey": apikey}, json=example(weight=30))
    assert refused.status_code == 200
    response = pn.EdiLabelResponse.model_validate(refused.json())
    assert response.unknown_fields() == []
    assert response.bookingResponse.failures()
    assert response.labelPrintout == []
    missing = ADMIN.get(
        f"{postnord_url}/rest/businesslocation/v5/servicepoints/bypostalcode",
        params={"apikey": "", "postalCode": "41104"},
    )
    assert pn.ErrorResponse.model_validate(missing.json()).unknown_fields() == []


def test_booked_label_response_has_no_drift(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction())
    assert booked.response.unknown_fields() == []
    reprinted = postnord.reprint_labels(booked.item_ids, label_format="zpl")
    assert reprinted[0].content.startswith(b"^XA")


def test_paper_size_is_honoured_and_checked(postnord: PostNordClient) -> None:
    booked = postnord.book_with_labels(instruction(), paper_size="A6")
    page = PdfReader(io.BytesIO(booked.labels[0].content)).pages[0]
    assert float(page.mediabox.width) == pytest.approx(105 * mm, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(148 * mm, abs=0.5)
    with pytest.raises(DataError, match="paperSize"):
        postnord.book_with_labels(instruction(), paper_size="B5")


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
def test_arbitrary_json_is_answered_400_never_500(
    postnord_url: str, apikey: str, body: Any
) -> None:
    for path in ("/rest/shipment/v3/edi/labels/zpl", "/rest/shipment/v3/labels/ids/pdf"):
        answer = ADMIN.post(f"{postnord_url}{path}", params={"apikey": apikey}, json=body)
        assert answer.status_code == 400, answer.text
        assert "message" in answer.text or "errorResponse" in answer.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=40) | st.sampled_from(["²²²²²", "１２３４５", "²" * 12]))
def test_arbitrary_query_values_never_crash(postnord_url: str, apikey: str, value: str) -> None:
    calls = [
        ("/rest/shipment/v5/trackandtrace/findByIdentifier.json", {"id": value}),
        ("/rest/businesslocation/v5/servicepoints/nearest/byaddress", {"postalCode": value}),
        (
            "/rest/businesslocation/v5/servicepoints/bypostalcode",
            {"postalCode": "41104", "numberOfServicePoints": value},
        ),
    ]
    for path, params in calls:
        answer = ADMIN.get(f"{postnord_url}{path}", params={"apikey": apikey, **params})
        assert answer.status_code in (200, 400), answer.text
