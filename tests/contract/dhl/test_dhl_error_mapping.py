"""The recorded real DHL error bodies, served with their status, map to the right exceptions."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from westgear_desk.errors import (
    AuthenticationError,
    BusinessRuleError,
    DataError,
    IntegrationError,
    RateLimitedError,
)
from westgear_desk.integrations.dhl.client import DhlClient, DhlTrackingClient
from westgear_desk.integrations.dhl.contract import TransportInstruction

RECORDED = Path(__file__).parent / "recorded"


def serving(name: str, status: int, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    body = (RECORDED / name).read_bytes()
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers=headers or {})
    )


@pytest.mark.parametrize(
    ("name", "status", "error", "text"),
    [
        (
            "freight_se_error_401_invalid_client_key.json",
            401,
            AuthenticationError,
            "No valid application matching client key",
        ),
        ("freight_se_postalcode_error_400.json", 400, DataError, "Post code '99999' not found."),
        (
            "freight_se_service_points_error_400.json",
            400,
            BusinessRuleError,
            "The dimensions are too large for servicepoint",
        ),
    ],
)
def test_freight_error_bodies(
    name: str, status: int, error: type[IntegrationError], text: str
) -> None:
    with (
        DhlClient("https://dhl.test", "k", transport=serving(name, status)) as client,
        pytest.raises(error) as info,
    ):
        client.find_service_points("11151")
    assert type(info.value) is error
    assert text in str(info.value)


@pytest.mark.parametrize("status", [200, 400])
def test_booking_rejection_with_200_or_400_is_a_data_error(status: int) -> None:
    transport = serving("freight_se_transport_instruction_rejection_400.json", status)
    request = json.loads((RECORDED / "freight_se_transport_instruction_request.json").read_text())
    with (
        DhlClient("https://dhl.test", "k", transport=transport) as client,
        pytest.raises(DataError) as info,
    ):
        client.book(TransportInstruction.model_validate(request))
    assert "Parties[2].Address.Address: Address is mandatory for party AccessPoint" in str(
        info.value
    )
    assert info.value.error_code == "22001"


def test_tracking_404_is_no_shipment_and_429_is_rate_limited() -> None:
    with DhlTrackingClient(
        "https://dhl.test", "k", transport=serving("error_404_no_result.json", 404)
    ) as client:
        assert client.track("1234567890") == []
    transport = serving("error_429_too_many_requests.json", 429, {"Retry-After": "30"})
    with (
        DhlTrackingClient("https://dhl.test", "k", transport=transport) as client,
        pytest.raises(RateLimitedError) as info,
    ):
        client.track("1234567890")
    assert info.value.retry_after == 30
    assert "Too Many Requests" in str(info.value)
