"""Recorded real PostNord error bodies, served with their status, map to the right exceptions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from westgear_desk.errors import AuthenticationError, DataError
from westgear_desk.integrations.postnord.client import PostNordClient

RECORDED = Path(__file__).parent / "recorded"
KEY = "0123456789abcdef0123456789abcdef"


def serving(name: str, status: int) -> httpx.MockTransport:
    body = (RECORDED / name).read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["apikey"] == KEY
        return httpx.Response(status, content=body)

    return httpx.MockTransport(handler)


def test_gateway_403_is_an_authentication_error_with_its_request_id() -> None:
    transport = serving("error_403_gateway_invalid_api_key.json", 403)
    with (
        PostNordClient("https://pn.test", KEY, transport=transport) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.track("00373500454541020957")
    assert "Invalid API Key" in str(info.value)
    assert info.value.request_id == "278b9442a7efatapi28363581782383141"
    assert KEY not in str(info.value)


def test_composite_fault_is_a_data_error_with_fault_code() -> None:
    transport = serving("customs_declaration_error_compositefault_sandbox.json", 400)
    with (
        PostNordClient("https://pn.test", KEY, transport=transport) as client,
        pytest.raises(DataError) as info,
    ):
        client.track("00373500454541020957")
    assert info.value.error_code == "SAO-BR-24041806"
    assert "Unable to find EDI: UX304478491SE" in str(info.value)


def test_label_by_id_failure_list_is_a_data_error() -> None:
    transport = serving("labels_by_id_fail_response_sandbox.json", 400)
    with (
        PostNordClient("https://pn.test", KEY, transport=transport) as client,
        pytest.raises(DataError, match="UX304478474SE: id not found"),
    ):
        client.reprint_labels(["UX304478474SE"])
