"""Fortnox rate limit and fault injection through the client, over real HTTP."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest

from tests.contract.fortnox.conftest import MakeClient, ServedSandbox
from westgear_desk.errors import (
    ConnectionFailure,
    DataError,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.fortnox.auth import FortnoxCredentials
from westgear_desk.integrations.fortnox.client import FortnoxClient
from westgear_desk.integrations.fortnox.ratelimit import SlidingWindowLimiter, shared_limiter


def test_sandbox_itself_refuses_the_26th_request_in_5_seconds(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox
) -> None:
    token = fortnox.tokens.access_token()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as raw:
        statuses = [raw.get(f"{fortnox_sandbox.url}/3/customers/1").status_code for _ in range(30)]
        refused = raw.get(f"{fortnox_sandbox.url}/3/customers/1")
    assert statuses[:25] == [200] * 25
    assert set(statuses[25:]) == {429}
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 5


@pytest.mark.slow
def test_burst_of_100_calls_from_threads_never_gets_a_429(
    fortnox: FortnoxClient, records: list[CallRecord]
) -> None:
    numbers = [str(n % 40 + 1) for n in range(100)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        customers = list(pool.map(fortnox.get_customer, numbers))
    assert [c.customer_number for c in customers] == numbers
    api_calls = [r for r in records if r.endpoint.startswith("/3/")]
    assert len(api_calls) == 100
    assert {r.status_code for r in api_calls} == {200}


def test_limiter_shared_by_threads_keeps_any_window_under_the_budget() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(max_calls=5, period=1.0, max_wait=0.0, clock=lambda: now[0])
    for _ in range(5):
        limiter.acquire()
    with pytest.raises(RateLimitedError) as info:
        limiter.acquire()  # a sixth within the window would need waiting; max_wait is 0
    assert info.value.retry_after == pytest.approx(1.0)
    now[0] = 1.01
    assert limiter.acquire() == 0.0


def _received(sandbox: ServedSandbox) -> list[datetime]:
    return [datetime.fromisoformat(str(r["received_at"])) for r in sandbox.requests("/3/")]


def test_injected_429_is_waited_out_for_its_retry_after(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox, records: list[CallRecord]
) -> None:
    fortnox.tokens.access_token()
    fortnox_sandbox.set_faults(rate_limit_rate=1.0, retry_after_s=2, only_paths=["/3/"])
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(fortnox.get_customer("5")))
    worker.start()
    deadline = time.monotonic() + 5
    while not fortnox_sandbox.requests("/3/") and time.monotonic() < deadline:
        time.sleep(0.02)  # wait for the first (refused) attempt to arrive
    fortnox_sandbox.set_faults()  # the provider recovers
    worker.join(timeout=10)
    assert len(result) == 1
    statuses = [r.status_code for r in records if r.endpoint.startswith("/3/")]
    assert statuses == [429, 200]
    first, second = _received(fortnox_sandbox)
    assert (second - first).total_seconds() >= 2.0


def test_persistent_429_ends_in_rate_limited_error(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox
) -> None:
    fortnox.tokens.access_token()
    fortnox_sandbox.set_faults(rate_limit_rate=1.0, retry_after_s=1, only_paths=["/3/"])
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as info:
        fortnox.get_customer("1")
    assert info.value.retry_after == 1.0
    assert time.monotonic() - started >= 2.0  # waited before each of the two retries
    assert len(fortnox_sandbox.requests("/3/")) == 3


@pytest.mark.parametrize(
    ("faults", "expected", "code"),
    [
        ({"error_rate": 1.0}, ServerError, None),
        ({"drop_rate": 1.0}, ConnectionFailure, None),
        ({"malformed_rate": 1.0}, ServerError, "malformed_json"),
        ({"timeout_rate": 1.0}, TimeoutFailure, None),
        ({"drift": "renamed_field"}, DataError, "contract_violation"),
    ],
)
def test_each_fault_maps_to_its_exception(
    make_client: MakeClient,
    fortnox_sandbox: ServedSandbox,
    faults: dict[str, object],
    expected: type[Exception],
    code: str | None,
) -> None:
    client = make_client(timeout=1.0)
    client.tokens.access_token()  # the token endpoint is not faulted below
    fortnox_sandbox.set_faults(only_paths=["/3/"], **faults)
    with pytest.raises(expected) as info:
        client.list_customers()
    if code is not None:
        assert getattr(info.value, "error_code", None) == code


def test_new_field_drift_is_kept_and_reported(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox
) -> None:
    fortnox_sandbox.set_faults(drift="new_field", only_paths=["/3/"])
    customer = fortnox.get_customer("1")
    assert customer.name
    assert customer.unknown_fields() == ["SustainabilityReport"]


def test_clients_of_one_tenant_share_one_limiter() -> None:
    one = FortnoxCredentials("client-a", "secret", tenant_id="111")
    with (
        FortnoxClient("http://127.0.0.1:9", one) as first,
        FortnoxClient("http://127.0.0.1:9", one) as second,
        FortnoxClient("http://127.0.0.1:9", FortnoxCredentials("client-a", "s", "222")) as other,
    ):
        assert first.limiter is second.limiter
        assert other.limiter is not first.limiter
        assert first.limiter is shared_limiter("client-a:111")


def test_a_pause_holds_every_thread() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(max_calls=10, period=1.0, max_wait=0.5, clock=lambda: now[0])
    limiter.pause(2.0)  # a 429's Retry-After seen by one thread
    with pytest.raises(RateLimitedError) as info:
        limiter.acquire()
    assert info.value.retry_after == pytest.approx(2.0)
    now[0] = 2.0
    assert limiter.acquire() == 0.0
