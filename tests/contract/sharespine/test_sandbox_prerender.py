"""A prerendered Sharespine sandbox serves exactly what a lazily rendering one serves.

The catalog benchmark prerenders so that the stand-in server costs no CPU while the sync is
measured; that must not change a single byte, and changes must still show at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from westgear_desk.sandbox.common import SandboxConfig
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sandbox.sharespine import build

CONFIG = SandboxConfig(seed=23, products=150, broken_share=0.2)


@pytest.fixture(scope="module")
def two_sandboxes() -> Iterator[tuple[httpx.Client, httpx.Client]]:
    lazy, eager = build(CONFIG), build(CONFIG, prerender=True)
    with SandboxServer(lazy.app) as lazy_server, SandboxServer(eager.app) as eager_server:
        c = lazy.credentials
        headers = {"X-Tenant": c["tenant"], "X-ConnectionId": c["connection_id"]}
        auth = (c["username"], c["password"])
        with (
            httpx.Client(base_url=lazy_server.url, headers=headers, auth=auth) as a,
            httpx.Client(base_url=eager_server.url, headers=headers, auth=auth) as b,
        ):
            yield a, b


@pytest.fixture
def sandboxes(two_sandboxes: tuple[httpx.Client, httpx.Client]) -> tuple[httpx.Client, ...]:
    for client in two_sandboxes:
        client.post("/_sandbox/reset").raise_for_status()
        client.put("/_sandbox/faults", json={}).raise_for_status()
    return two_sandboxes


def _page(client: httpx.Client, **params: object) -> httpx.Response:
    answer = client.get("/api/product", params={"limit": 60, **params})
    answer.raise_for_status()
    return answer


def test_prerendered_pages_are_byte_identical(sandboxes: tuple[httpx.Client, ...]) -> None:
    lazy, eager = sandboxes
    for offset in (0, 60, 120):
        a, b = _page(lazy, offset=offset), _page(eager, offset=offset)
        assert a.content == b.content
        assert a.headers["x-total-count"] == b.headers["x-total-count"] == "150"
    assert len(_page(eager, offset=0).json()) == 60


def test_a_change_is_served_at_once_and_a_removal_drops_the_product(
    sandboxes: tuple[httpx.Client, ...],
) -> None:
    lazy, eager = sandboxes
    target = _page(eager, offset=0).json()[3]
    remote_id = target["remoteId"]
    for client in sandboxes:
        client.post(
            f"/_sandbox/sharespine/products/{remote_id}/price",
            json={"priceInclVat": "1234.00", "priceList": "LIST"},
        ).raise_for_status()
    changed = _page(eager, offset=0).json()[3]
    assert changed["remoteId"] == remote_id
    assert changed["lastModified"] > target["lastModified"]
    prices = {p["priceList"]: p["priceInclVat"] for p in changed["variants"][0]["prices"]}
    assert prices["LIST"] == "1234.00"
    assert (
        _page(lazy, offset=0).json()[3]["variants"][0]["prices"] == changed["variants"][0]["prices"]
    )

    for client in sandboxes:
        client.delete(f"/_sandbox/sharespine/products/{remote_id}").raise_for_status()
    ids = [p["remoteId"] for p in _page(eager, offset=0).json()]
    assert remote_id not in ids
    assert _page(eager, offset=0).content == _page(lazy, offset=0).content


def test_schema_drift_fault_still_rewrites_prerendered_pages(
    sandboxes: tuple[httpx.Client, ...],
) -> None:
    lazy, eager = sandboxes
    for client in sandboxes:
        client.put("/_sandbox/faults", json={"drift": "new_field"}).raise_for_status()
    drifted = _page(eager, offset=0)
    assert drifted.json() == _page(lazy, offset=0).json()
    assert drifted.json()[0].keys() != _page_without_faults(eager)[0].keys()


def _page_without_faults(client: httpx.Client) -> list[dict[str, object]]:
    client.put("/_sandbox/faults", json={}).raise_for_status()
    body: list[dict[str, object]] = _page(client, offset=0).json()
    return body
