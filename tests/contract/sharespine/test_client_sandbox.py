"""The Sharespine client against its sandbox over real HTTP: auth, paging, filters, faults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

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
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.integrations.sharespine.contract import LogEvent, RelatedIdMessage
from westgear_desk.sandbox.seed import generate_catalog

SEED = 17  # as in conftest
PRODUCTS = 120
BROKEN_SHARE = 0.2
SetFaults = Callable[..., None]


def test_wrong_credentials_raise_authentication_error(
    sharespine_url: str, credentials: SharespineCredentials
) -> None:
    wrong = SharespineCredentials(credentials.tenant, credentials.connection_id, "api", "nope")
    with (
        SharespineClient(sharespine_url, wrong, timeout=5.0) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.connection_info()
    assert caught.value.status_code == 401
    assert caught.value.error_code == "Unauthorized"


def test_wrong_tenant_is_refused(sharespine_url: str, credentials: SharespineCredentials) -> None:
    wrong = SharespineCredentials(
        "other", credentials.connection_id, credentials.username, credentials.password
    )
    with (
        SharespineClient(sharespine_url, wrong, timeout=5.0) as client,
        pytest.raises(AuthenticationError),
    ):
        list(client.iter_products())


def test_connection_info_and_headers_sent(
    client: SharespineClient,
    sharespine_url: str,
    credentials: SharespineCredentials,
    records: list[CallRecord],
) -> None:
    info = client.connection_info()
    assert info.tenant == credentials.tenant
    seen = httpx.get(f"{sharespine_url}/_sandbox/requests").json()["requests"][-1]
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["x-tenant"] == credentials.tenant
    assert headers["x-connectionid"] == credentials.connection_id
    assert records[-1].endpoint == "/api/"
    assert records[-1].status_code == 200


def test_paging_returns_every_product_exactly_once_with_broken_ones_reported(
    client: SharespineClient,
) -> None:
    results = list(client.iter_products(page_size=7))
    remote_ids = [r.model.remote_id if r.model else r.raw["remoteId"] for r in results]
    expected = [p.remote_id for p in generate_catalog(SEED, PRODUCTS, BROKEN_SHARE)]
    assert remote_ids == expected
    drifted = {r.model.remote_id for r in results if r.model and r.model.unknown_fields()}
    tagged = {
        p.remote_id
        for p in generate_catalog(SEED, PRODUCTS, BROKEN_SHARE)
        if "unknown_field" in p.broken
    }
    assert tagged
    assert drifted == tagged
    raw = next(r.payload() for r in results if r.model and r.model.remote_id in tagged)
    assert raw["sustainabilityScore"] == 3
    assert "variants" in raw


def test_modified_at_or_after_returns_only_changed_products(
    client: SharespineClient, sharespine_url: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    for remote_id in ("art-100005", "art-100050"):
        httpx.post(
            f"{sharespine_url}/_sandbox/sharespine/products/{remote_id}/stock",
            json={"stock": 9, "locationId": "GBG-MAIN"},
        ).raise_for_status()
    changed = list(client.iter_products(modified_at_or_after=before))
    assert [r.model.remote_id for r in changed if r.model] == ["art-100005", "art-100050"]
    stock = changed[0].model.variants[0].stock_per_location  # type: ignore[union-attr]
    assert {s.location_id: s.stock for s in stock}["GBG-MAIN"] == 9


def test_seeded_filter_is_inclusive_by_index(client: SharespineClient) -> None:
    pivot = list(client.iter_products())[100]
    since = pivot.model.last_modified if pivot.model else None
    assert since is not None
    later = list(client.iter_products(modified_at_or_after=since))
    assert len(later) == PRODUCTS - 100


def test_removed_product_disappears_and_fixed_one_validates(
    client: SharespineClient, sharespine_url: str
) -> None:
    broken = httpx.get(f"{sharespine_url}/_sandbox/sharespine/broken").json()
    target = broken[0]
    httpx.post(
        f"{sharespine_url}/_sandbox/sharespine/products/{target['remoteId']}/fix"
    ).raise_for_status()
    httpx.delete(f"{sharespine_url}/_sandbox/sharespine/products/art-100000").raise_for_status()
    after = httpx.get(f"{sharespine_url}/_sandbox/sharespine/broken").json()
    assert target["remoteId"] not in {b["remoteId"] for b in after}
    ids = [r.model.remote_id for r in client.iter_products() if r.model]
    assert "art-100000" not in ids
    assert len(ids) + sum(1 for r in client.iter_products() if not r.model) == PRODUCTS - 1


def test_get_product_and_unknown_product(client: SharespineClient) -> None:
    first = next(iter(client.iter_products()))
    assert first.model is not None
    again = client.get_product(first.model.local_id)
    assert again.remote_id == first.model.remote_id
    with pytest.raises(DataError) as caught:
        client.get_product("0" * 32)
    assert caught.value.error_code == "ProductNotFound"


def test_customers_and_orders_listed_and_new_orders_seen(
    client: SharespineClient, sharespine_url: str
) -> None:
    customers = list(client.iter_customers())
    assert customers
    assert all(c.ok for c in customers)
    b2b = [c.model for c in customers if c.model and c.model.customer_type == "company"]
    assert b2b
    assert all(c.vat_no == f"SE{c.org_no}01" for c in b2b)
    start = datetime.now(UTC) - timedelta(seconds=1)
    httpx.post(f"{sharespine_url}/_sandbox/sharespine/orders", json={"count": 3}).raise_for_status()
    new = list(client.iter_orders(modified_at_or_after=start))
    assert len(new) == 3
    assert all(o.model and o.model.rows for o in new)
    assert len(list(client.iter_orders())) == 60 + 3


def test_log_event_is_recorded(client: SharespineClient, sharespine_url: str) -> None:
    event = LogEvent(
        severity="Error",
        relatedRecordType="product",
        direction="import",
        summary="Produkten saknar EAN / Product lacks a GTIN",
        relatedIdMsgs=[
            RelatedIdMessage(id="ab" * 16, displayId="WG000001", message="invalid_gtin")
        ],
        time=datetime.now(UTC),
    )
    client.post_log_event(event)
    stored = httpx.get(f"{sharespine_url}/_sandbox/sharespine/events").json()
    assert stored[-1]["summary"] == event.summary
    assert stored[-1]["relatedIdMsgs"][0]["displayId"] == "WG000001"


def test_server_error_fault(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(error_rate=1.0)
    with pytest.raises(ServerError):
        client.connection_info()


def test_rate_limit_fault_carries_retry_after(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(rate_limit_rate=1.0, retry_after_s=7)
    with pytest.raises(RateLimitedError) as caught:
        list(client.iter_products())
    assert caught.value.retry_after == 7


def test_timeout_fault(
    sharespine_url: str, credentials: SharespineCredentials, set_faults: SetFaults
) -> None:
    set_faults(timeout_rate=1.0)
    with (
        SharespineClient(sharespine_url, credentials, timeout=0.5) as short,
        pytest.raises(TimeoutFailure),
    ):
        short.connection_info()


def test_dropped_connection_fault(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(drop_rate=1.0)
    with pytest.raises(ConnectionFailure):
        client.connection_info()


def test_malformed_page_is_a_retryable_server_error(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(malformed_rate=1.0)
    with pytest.raises(ServerError) as caught:
        list(client.iter_products())
    assert caught.value.error_code == "malformed_json"


def test_fault_mid_way_through_paging(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(error_rate=1.0, only_paths=["/api/product"], after_requests=2)
    pages = client.iter_product_pages(page_size=20)
    got = [next(pages), next(pages)]
    with pytest.raises(ServerError):
        next(pages)
    set_faults()
    resumed = list(client.iter_product_pages(page_size=20, start_offset=40))
    total = sum(len(p.records) for p in [*got, *resumed])
    assert total == PRODUCTS


def test_new_field_drift_is_reported_per_record(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(drift="new_field")
    results = list(client.iter_products())
    assert len(results) == PRODUCTS
    assert all(r.model and "carbonFootprintKg" in r.model.unknown_fields() for r in results)


def test_renamed_field_drift_is_reported_not_fatal(
    client: SharespineClient, sharespine_url: str, set_faults: SetFaults
) -> None:
    set_faults(drift="renamed_field")
    results = list(client.iter_products())
    assert len(results) == PRODUCTS
    assert all(r.model is not None for r in results)
    assert all(r.model.sku is None for r in results if r.model)
    assert all("articleNumber" in r.model.unknown_fields() for r in results if r.model)


def test_invalid_record_does_not_kill_its_page(credentials: SharespineCredentials) -> None:
    body = (
        b'[{"localId": "a", "lastModified": "2025-01-01T00:00:00Z"},'
        b' {"localId": "b", "lastModified": "yesterday"}]'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"X-Total-Count": "2"})

    transport = httpx.MockTransport(handler)
    with SharespineClient("http://sharespine.test", credentials, transport=transport) as client:
        results = list(client.iter_products())
    assert [r.ok for r in results] == [True, False]
    assert results[1].raw["localId"] == "b"
    assert "lastModified" in (results[1].error or "")


def test_non_list_body_is_a_data_error(credentials: SharespineCredentials) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": []})

    transport = httpx.MockTransport(handler)
    with (
        SharespineClient("http://sharespine.test", credentials, transport=transport) as client,
        pytest.raises(DataError, match="JSON array"),
    ):
        list(client.iter_products())


def test_rejected_log_event_is_a_data_error_naming_the_fields(client: SharespineClient) -> None:
    incomplete = LogEvent.model_construct(severity="Error", summary="x")
    with pytest.raises(DataError) as caught:
        client.post_log_event(incomplete)
    assert caught.value.status_code == 422
    assert caught.value.error_code == "InvalidLogEvent"
    assert "relatedRecordType" in str(caught.value)


def test_conflict_on_a_write_is_a_business_rule_refusal(credentials: SharespineCredentials) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "code": 101000,
            "name": "ProductAlreadyExists",
            "category": "Conflict",
            "message": "remoteId art-1 exists",
        }
        return httpx.Response(409, json=body, headers={"X-Request-Id": "req-9"})

    transport = httpx.MockTransport(handler)
    event = LogEvent(
        severity="Info",
        relatedRecordType="product",
        direction="import",
        summary="s",
        time=datetime.now(UTC),
    )
    with (
        SharespineClient("http://sharespine.test", credentials, transport=transport) as client,
        pytest.raises(BusinessRuleError) as caught,
    ):
        client.post_log_event(event)
    assert caught.value.error_code == "ProductAlreadyExists"
    assert caught.value.request_id == "req-9"
    assert "remoteId art-1 exists" in str(caught.value)


def test_error_without_a_body_is_classified_by_status(credentials: SharespineCredentials) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503, content=b"<html>"))
    with (
        SharespineClient("http://sharespine.test", credentials, transport=transport) as client,
        pytest.raises(ServerError) as caught,
    ):
        client.connection_info()
    assert caught.value.status_code == 503
