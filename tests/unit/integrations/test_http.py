"""ApiClient: what it sends, how it classifies answers, and what it reports for every call."""

from __future__ import annotations

import gc
import json
import threading
import weakref
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from westgear_desk import __version__
from westgear_desk.errors import (
    AuthenticationError,
    ConnectionFailure,
    DataError,
    IntegrationError,
    PermanentError,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.http import ApiClient, fill_template, parse_retry_after
from westgear_desk.log import correlation_scope


class ShopClient(ApiClient):
    """A client with a header-and-parameter auth, like the real ones add."""

    system = "shop"

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = "Bearer sk_live_Abcdefghijklmnop0123456789"
        params["apikey"] = "k-123"


class Calls:
    """Collects CallRecords like the engine's recorder would."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


def make_client(handler: Any, calls: Calls | None = None, timeout: float = 30.0) -> ShopClient:
    return ShopClient(
        "https://api.example.test/",
        recorder=calls or Calls(),
        transport=httpx.MockTransport(handler),
        timeout=timeout,
    )


def test_fills_the_template_and_records_the_template_not_the_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True}, headers={"X-Request-Id": "req-77"})

    calls = Calls()
    with make_client(handler, calls) as client:
        body = client.request_json(
            "get", "/3/customers/{number}", path_params={"number": "A B/1"}, params={"page": 2}
        )
    assert body == {"ok": True}
    assert seen[0].url.raw_path == b"/3/customers/A%20B%2F1?page=2&apikey=k-123"
    [record] = calls.records
    assert (record.system, record.method, record.endpoint) == (
        "shop",
        "GET",
        "/3/customers/{number}",
    )
    assert (record.status_code, record.request_id, record.error_code) == (200, "req-77", None)
    assert record.latency_ms >= 0


def test_sends_user_agent_auth_and_the_current_correlation_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    calls = Calls()
    with make_client(handler, calls) as client, correlation_scope("corr-abc123"):
        client.request("POST", "/orders", json={"sku": "KAJ-1"})
    headers = seen[0].headers
    assert headers["User-Agent"] == f"WestGearDesk/{__version__}"
    assert headers["X-Correlation-Id"] == "corr-abc123"
    assert headers["Authorization"].startswith("Bearer ")
    assert calls.records[0].correlation_id == "corr-abc123"


def test_no_correlation_header_outside_a_scope() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with make_client(handler) as client:
        client.request("GET", "/ping")
    assert "X-Correlation-Id" not in seen[0].headers


def test_payload_summary_is_redacted() -> None:
    calls = Calls()
    with make_client(lambda request: httpx.Response(201), calls) as client:
        client.request(
            "POST",
            "/customers",
            json={"Email": "anna.svensson@example.se", "Password": "hunter2", "Sku": "PFD-50"},
        )
    summary = calls.records[0].payload_summary
    assert summary is not None
    assert "anna.svensson" not in summary
    assert "hunter2" not in summary
    assert "PFD-50" in summary


def test_redirects_are_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.request("GET", "/moved")
    assert caught.value.status_code == 302


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, DataError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, DataError),
        (405, PermanentError),
        (408, ServerError),
        (409, DataError),
        (422, DataError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_status_codes_map_to_the_error_tree(status: int, expected: type[Exception]) -> None:
    calls = Calls()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "x"}, headers={"Request-Id": "rid-9"})

    with make_client(handler, calls) as client, pytest.raises(IntegrationError) as caught:
        client.request("GET", "/things/{id}", path_params={"id": 5})
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.system == "shop"
    assert caught.value.request_id == "rid-9"
    [record] = calls.records
    assert record.status_code == status
    assert record.error_code == expected.__name__


def test_rate_limit_carries_retry_after_seconds() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    with make_client(handler) as client, pytest.raises(RateLimitedError) as caught:
        client.request("GET", "/x")
    assert caught.value.retry_after == 7.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_subclass_reads_the_provider_error_body() -> None:
    class Fortnoxish(ShopClient):
        def _error_for(self, response: httpx.Response) -> IntegrationError:
            info = response.json()["ErrorInformation"]
            return DataError(info["message"], system=self.system, error_code=str(info["code"]))

    calls = Calls()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"ErrorInformation": {"code": 2000204, "message": "Bad"}})

    client = Fortnoxish("https://f.test", recorder=calls, transport=httpx.MockTransport(handler))
    with client, pytest.raises(DataError, match="Bad"):
        client.request("PUT", "/3/invoices")
    assert calls.records[0].error_code == "2000204"


def test_timeout_is_transient_and_recorded_without_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    calls = Calls()
    with make_client(handler, calls) as client, pytest.raises(TimeoutFailure):
        client.request("GET", "/slow")
    [record] = calls.records
    assert (record.status_code, record.error_code) == (None, "ReadTimeout")


def test_connection_errors_are_transient_and_recorded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    calls = Calls()
    with make_client(handler, calls) as client, pytest.raises(ConnectionFailure):
        client.request("GET", "/gone")
    assert calls.records[0].error_code == "RemoteProtocolError"


def test_malformed_json_is_a_retryable_server_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"Customers": [{"Name": "Fj', headers={})

    calls = Calls()
    with make_client(handler, calls) as client, pytest.raises(ServerError) as caught:
        client.request_json("GET", "/3/customers")
    assert caught.value.error_code == "malformed_json"
    [record] = calls.records
    assert (record.status_code, record.error_code) == (200, "malformed_json")


def test_empty_body_decodes_to_none() -> None:
    with make_client(lambda request: httpx.Response(204)) as client:
        assert client.request_json("DELETE", "/x/{id}", path_params={"id": 1}) is None


def test_missing_path_parameter_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        fill_template("/3/customers/{number}", {"other": 1})


def test_one_client_serves_many_threads() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"n": int(request.url.params["n"])})

    calls = Calls()
    lock = threading.Lock()
    results: list[int] = []

    def work(client: ShopClient, start: int) -> None:
        for n in range(start, start + 25):
            value = client.request_json("GET", "/n", params={"n": n})["n"]
            with lock:
                results.append(value)

    with make_client(handler, calls) as client:
        threads = [threading.Thread(target=work, args=(client, i * 100)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results) == sorted(i * 100 + n for i in range(4) for n in range(25))
    assert len(calls.records) == 100


def test_json_body_is_sent_as_json() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={})

    with make_client(handler) as client:
        client.request("POST", "/a", json={"amount": "10.00"})
        client.request("POST", "/b", content=b"raw=1", headers={"Content-Type": "text/plain"})
    assert json.loads(seen[0]) == {"amount": "10.00"}
    assert seen[1] == b"raw=1"


def test_a_failing_recorder_does_not_change_the_outcome(caplog: pytest.LogCaptureFixture) -> None:
    def broken_recorder(record: CallRecord) -> None:
        raise RuntimeError("database is down")

    client = ShopClient(
        "https://api.example.test",
        recorder=broken_recorder,
        transport=httpx.MockTransport(lambda request: httpx.Response(201, json={"id": 9})),
    )
    with client:
        assert client.request_json("POST", "/captures") == {"id": 9}
    assert "call recorder failed for POST /captures" in caplog.text


def test_a_read_response_is_freed_as_soon_as_it_is_dropped() -> None:
    """No reference cycle keeps a page's body alive until the next full collection."""
    body = b"[" + b'{"x": 1},' * 50_000 + b'{"x": 2}]'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    gc.collect()
    gc.disable()
    try:
        with make_client(handler) as client:
            response = client.request("GET", "/products")
            assert response.content == body  # still whole for whoever reads it
            assert response.json()[-1] == {"x": 2}
            alive = weakref.ref(response)
            del response
            assert alive() is None
    finally:
        gc.enable()
