"""Fault injection, admin API and request log of a sandbox app, over real HTTP on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.helpers.sandboxes import FakeWebhookReceiver
from westgear_desk.errors import (
    ConnectionFailure,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.http import ApiClient
from westgear_desk.sandbox.common import (
    FaultSettings,
    WebhookSender,
    build_sandbox_app,
    current_faults,
)
from westgear_desk.sandbox.faults import RequestLog
from westgear_desk.sandbox.server import SandboxServer

PAGES = 5
HTTP = httpx.Client(timeout=10.0)  # one pool: a new client per call costs ~0.1 s of TLS setup
PDF = b"%PDF-1.4\n" + b"0" * 200 + b"\n%%EOF\n"


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


class Shop:
    """A tiny system: a paged item list, an echo and a label, plus a reset counter."""

    def __init__(self) -> None:
        self.resets = 0

    async def items(self, request: Request) -> Response:
        page = int(request.query_params.get("page", "1"))
        items = [{"sku": f"KAJ-{page}-{n}", "name": "Havskajak"} for n in range(20)]
        return JSONResponse({"page": page, "pages": PAGES, "items": items})

    async def echo(self, request: Request) -> Response:
        if request.headers.get("content-type") == "application/json":
            return JSONResponse({"got": await request.json()})
        return JSONResponse({"got": (await request.body()).decode()})

    async def label(self, request: Request) -> Response:
        return Response(PDF, media_type="application/pdf")

    def reset(self) -> None:
        self.resets += 1


def drift(document: Any, mode: str) -> Any:
    if mode == "new_field" and isinstance(document, dict):
        return {**document, "introducedLater": {"beta": True}}
    if mode == "renamed_field" and isinstance(document, dict) and "items" in document:
        return {
            **{k: v for k, v in document.items() if k != "items"},
            "articles": document["items"],
        }
    return document


class ShopClient(ApiClient):
    system = "shop"

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = "Basic c2hvcDpzZWNyZXQ="
        params["apikey"] = "shop-key-1"


class ItemPage(ContractModel):
    page: int
    pages: int
    items: list[dict[str, Any]]


@pytest.fixture(scope="module")
def shop_server() -> Iterator[tuple[SandboxServer, Shop]]:
    shop = Shop()
    routes = [
        Route("/items", shop.items),
        Route("/echo", shop.echo, methods=["POST"]),
        Route("/label", shop.label),
    ]
    app = build_sandbox_app("shop", routes, faults=FaultSettings(), reset=shop.reset, drift=drift)
    with SandboxServer(app) as server:
        yield server, shop


@pytest.fixture
def shop(shop_server: tuple[SandboxServer, Shop]) -> str:
    server, _ = shop_server
    HTTP.post(server.url + "/_sandbox/reset").raise_for_status()
    HTTP.put(server.url + "/_sandbox/faults", json={}).raise_for_status()
    return server.url


@pytest.fixture
def client(shop: str) -> Iterator[ShopClient]:
    with ShopClient(shop, timeout=5.0) as c:
        yield c


def set_faults(url: str, **fields: Any) -> None:
    HTTP.put(url + "/_sandbox/faults", json=fields).raise_for_status()


def received(url: str, **params: str) -> list[dict[str, Any]]:
    return HTTP.get(url + "/_sandbox/requests", params=params).json()["requests"]


# ----------------------------------------------------------------- admin API


def test_fault_settings_round_trip_through_the_admin_api(shop: str) -> None:
    assert HTTP.get(shop + "/_sandbox/faults").json() == FaultSettings().model_dump(mode="json")
    set_faults(shop, error_rate=0.25, latency_ms=10, only_paths=["/items"])
    now = HTTP.get(shop + "/_sandbox/faults").json()
    assert (now["error_rate"], now["latency_ms"], now["only_paths"]) == (0.25, 10, ["/items"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"error_rate": 1.5}, "error_rate"),
        ({"drift": "sideways"}, "drift"),
        ({"eror_rate": 0.1}, "eror_rate"),
        ({"error_rate": 0.7, "drop_rate": 0.7}, "more than 1"),
    ],
)
def test_invalid_fault_settings_are_refused_naming_the_field(
    shop: str, body: dict[str, Any], field: str
) -> None:
    response = HTTP.put(shop + "/_sandbox/faults", json=body)
    assert response.status_code == 422
    assert field in response.text
    assert HTTP.get(shop + "/_sandbox/faults").json()["error_rate"] == 0.0


def test_reset_restores_state_and_forgets_requests(
    shop: str, client: ShopClient, shop_server: tuple[SandboxServer, Shop]
) -> None:
    client.request("GET", "/items")
    before = shop_server[1].resets
    HTTP.post(shop + "/_sandbox/reset").raise_for_status()
    assert shop_server[1].resets == before + 1
    assert received(shop) == []


def test_admin_paths_are_never_faulted(shop: str) -> None:
    set_faults(shop, error_rate=1.0)
    for _ in range(5):
        assert HTTP.get(shop + "/_sandbox/faults").status_code == 200


# ----------------------------------------------------------------- each fault type


def test_injected_5xx_is_a_json_error_and_a_server_error(shop: str, client: ShopClient) -> None:
    set_faults(shop, error_rate=1.0)
    raw = HTTP.get(shop + "/items")
    assert raw.status_code == 503
    assert raw.json()["error"] == "service_unavailable"
    with pytest.raises(ServerError) as caught:
        client.request_json("GET", "/items")
    assert caught.value.status_code == 503


def test_injected_429_carries_retry_after(shop: str, client: ShopClient) -> None:
    set_faults(shop, rate_limit_rate=1.0, retry_after_s=3)
    with pytest.raises(RateLimitedError) as caught:
        client.request_json("GET", "/items")
    assert caught.value.retry_after == 3.0


def test_injected_timeout_never_answers(shop: str) -> None:
    set_faults(shop, timeout_rate=1.0)
    started = time.monotonic()
    with ShopClient(shop, timeout=0.5) as impatient, pytest.raises(TimeoutFailure):
        impatient.request_json("GET", "/items")
    assert 0.5 <= time.monotonic() - started < 3.0
    set_faults(shop)
    assert HTTP.get(shop + "/items").status_code == 200


def test_injected_drop_closes_the_connection_without_an_answer(
    shop: str, client: ShopClient
) -> None:
    set_faults(shop, drop_rate=1.0)
    with pytest.raises(ConnectionFailure):
        client.request_json("POST", "/echo", json={"a": 1})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        HTTP.get(shop + "/items")


def test_injected_malformed_json_is_cut_off(shop: str, client: ShopClient) -> None:
    intact = HTTP.get(shop + "/items").content
    set_faults(shop, malformed_rate=1.0)
    cut = HTTP.get(shop + "/items")
    assert cut.status_code == 200
    assert intact.startswith(cut.content)
    assert len(cut.content) < len(intact)
    assert int(cut.headers["content-length"]) == len(cut.content)
    with pytest.raises(ServerError) as caught:
        client.request_json("GET", "/items")
    assert caught.value.error_code == "malformed_json"


def test_malformed_leaves_non_json_bodies_alone(shop: str) -> None:
    set_faults(shop, malformed_rate=1.0)
    assert HTTP.get(shop + "/label").content == PDF


def test_latency_is_added(shop: str) -> None:
    set_faults(shop, latency_ms=300)
    started = time.monotonic()
    assert HTTP.get(shop + "/items").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drift_new_field_is_reported_by_the_contract_model(shop: str, client: ShopClient) -> None:
    assert ItemPage.model_validate(client.request_json("GET", "/items")).unknown_fields() == []
    set_faults(shop, drift="new_field")
    page = ItemPage.model_validate(client.request_json("GET", "/items"))
    assert page.unknown_fields() == ["introducedLater"]


def test_drift_renamed_field_breaks_the_contract(shop: str, client: ShopClient) -> None:
    set_faults(shop, drift="renamed_field")
    body = client.request_json("GET", "/items")
    assert "items" not in body
    assert "articles" in body


# ----------------------------------------------------------------- targeting and determinism


def test_fault_mid_way_through_a_paged_refresh(shop: str, client: ShopClient) -> None:
    set_faults(shop, error_rate=1.0, only_paths=["/items"], after_requests=2)
    pages = [client.request_json("GET", "/items", params={"page": n}) for n in (1, 2)]
    assert [p["page"] for p in pages] == [1, 2]
    with pytest.raises(ServerError):
        client.request_json("GET", "/items", params={"page": 3})
    assert client.request_json("POST", "/echo", json={"ok": 1}) == {"got": {"ok": 1}}


def _failure_pattern(url: str, settings: dict[str, Any], count: int = 40) -> list[int]:
    set_faults(url, **settings)
    with httpx.Client() as http:
        return [http.get(url + "/items").status_code for _ in range(count)]


def test_the_same_seed_gives_the_same_faults(shop: str) -> None:
    first = _failure_pattern(shop, {"error_rate": 0.5, "seed": 7})
    again = _failure_pattern(shop, {"error_rate": 0.5, "seed": 7})
    other = _failure_pattern(shop, {"error_rate": 0.5, "seed": 8})
    assert first == again
    assert first != other
    assert set(first) == {200, 503}


def test_current_faults_follow_the_admin_api(shop_server: tuple[SandboxServer, Shop]) -> None:
    server, _ = shop_server
    set_faults(server.url, webhook_duplicates=2)
    assert current_faults(server.app).webhook_duplicates == 2  # type: ignore[arg-type]
    set_faults(server.url)


# ----------------------------------------------------------------- what the sandbox received


def test_request_log_shows_what_the_client_sent_without_secrets(
    shop: str, client: ShopClient
) -> None:
    client.request("POST", "/echo", json={"sku": "PFD-50", "qty": 2})
    HTTP.post(
        shop + "/echo?x=1",
        content=b"grant_type=refresh_token&refresh_token=r-abc",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    first, second = received(shop, method="POST", path="/echo")
    assert first["body"] == {"sku": "PFD-50", "qty": 2}
    assert first["headers"]["authorization"] == "<redacted>"
    assert first["query"] == {"apikey": "<redacted>"}
    assert first["headers"]["user-agent"].startswith("WestGearDesk/")
    assert second["body"] == {"grant_type": "refresh_token", "refresh_token": "<redacted>"}
    assert second["query"] == {"x": "1"}
    assert "c2hvcDpzZWNyZXQ=" not in str(received(shop))


def test_faulted_requests_are_recorded_with_what_was_answered(
    shop: str, client: ShopClient
) -> None:
    client.request("POST", "/echo", json={"n": 0})
    set_faults(shop, error_rate=1.0)
    with pytest.raises(ServerError):
        client.request("POST", "/echo", json={"n": 1})
    set_faults(shop, drop_rate=1.0)
    with pytest.raises(ConnectionFailure):
        client.request("POST", "/echo", json={"n": 2})
    answered = [(r["body"], r["status"]) for r in received(shop)]
    assert answered == [({"n": 0}, 200), ({"n": 1}, 503), ({"n": 2}, None)]


def test_huge_bodies_are_recorded_cut_short(shop: str) -> None:
    HTTP.post(shop + "/echo", json={"blob": "x" * 200_000})
    [entry] = received(shop)
    assert isinstance(entry["body"], str)
    assert entry["body"].endswith("bytes]")
    assert len(entry["body"]) < 70_000


def test_request_log_is_bounded() -> None:
    log = RequestLog(size=3)
    for n in range(5):
        scope = {"method": "GET", "path": f"/p{n}", "headers": [], "query_string": b""}
        log.add(scope, b"")
    assert [e["path"] for e in log.query()] == ["/p2", "/p3", "/p4"]


# ----------------------------------------------------------------- server stop and webhooks


def test_stop_is_prompt_with_requests_held_open() -> None:
    app = build_sandbox_app("held", [], faults=FaultSettings(timeout_rate=1.0), reset=lambda: None)
    server = SandboxServer(app)
    server.start()
    outcomes: list[str] = []

    def hang() -> None:
        try:
            httpx.get(server.url + "/anything", timeout=60)
            outcomes.append("answered")
        except httpx.TransportError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=hang) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60  # generous: under CI load the threads may start late
    while len(app.requests.query()) < 3 and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert len(app.requests.query()) == 3, "the three requests never reached the sandbox"  # type: ignore[attr-defined]
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3.0
    for thread in threads:
        thread.join(timeout=5)
    assert outcomes == ["RemoteProtocolError"] * 3
    with pytest.raises(httpx.ConnectError):
        HTTP.get(server.url + "/_sandbox/faults")


def test_a_request_arriving_while_the_server_stops_is_cut_not_held() -> None:
    app = build_sandbox_app("late", [], faults=FaultSettings(timeout_rate=1.0), reset=lambda: None)
    with SandboxServer(app) as server:
        app.release_held()  # type: ignore[attr-defined]  # what stop() does first
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(server.url + "/anything", timeout=30)
        assert time.monotonic() - started < 5.0


def test_webhooks_are_duplicated_when_asked(
    webhook_receiver: FakeWebhookReceiver,
) -> None:
    faults = FaultSettings(webhook_duplicates=2)
    sender = WebhookSender(lambda: faults)
    sender.send(webhook_receiver.url + "/cb", b'{"event": 1}', {"Content-Type": "application/json"})
    assert sender.wait_idle()
    got = webhook_receiver.wait_for(3)
    assert [g["body"] for g in got] == [b'{"event": 1}'] * 3
    assert [d["copy"] for d in sender.deliveries] == [0, 1, 2]
    sender.close()


def test_webhooks_out_of_order(webhook_receiver: FakeWebhookReceiver) -> None:
    faults = FaultSettings(webhook_out_of_order=True)
    sender = WebhookSender(lambda: faults)
    sender.send(webhook_receiver.url + "/cb", b"first", {})
    sender.send(webhook_receiver.url + "/cb", b"second", {})
    assert sender.wait_idle()
    assert [g["body"] for g in webhook_receiver.wait_for(2)] == [b"second", b"first"]
    sender.close()


def test_failed_webhooks_are_retried_and_recorded(
    webhook_receiver: FakeWebhookReceiver,
) -> None:
    webhook_receiver.status = 500
    sender = WebhookSender(FaultSettings)
    sender.send(webhook_receiver.url + "/cb", b"x", {})
    assert sender.wait_idle(timeout=15)
    assert [d["status"] for d in sender.deliveries] == [500, 500, 500]
    assert [d["attempt"] for d in sender.deliveries] == [1, 2, 3]
    sender.close()


def test_webhook_sender_restarts_after_close(webhook_receiver: FakeWebhookReceiver) -> None:
    sender = WebhookSender(FaultSettings)
    sender.send(webhook_receiver.url + "/cb", b"one", {})
    sender.close()
    sender.send(webhook_receiver.url + "/cb", b"two", {})
    assert sender.wait_idle()
    assert [g["body"] for g in webhook_receiver.wait_for(2)] == [b"one", b"two"]
    sender.close()
