"""Every external call lands in `api_calls` and the structured log, even across a short outage."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from westgear_desk.db.models.admin import ApiCall
from westgear_desk.db.session import make_session_factory
from westgear_desk.errors import DataError
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.http import ApiClient
from westgear_desk.log import correlation_scope
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sync.apicalls import ApiCallSink


def call(status: int | None = 200, **overrides: object) -> CallRecord:
    values: dict[str, object] = {
        "system": "fortnox",
        "method": "get",
        "endpoint": "/3/customers/{number}",
        "status_code": status,
        "latency_ms": 12.6,
        "correlation_id": "cid-1",
        "request_id": "req-1",
        "error_code": None,
        "payload_summary": '{"Name":"[personal]"}',
    }
    values.update(overrides)
    return CallRecord(**values)  # type: ignore[arg-type]


def stored(factory: sessionmaker[Session]) -> list[ApiCall]:
    with factory() as session:
        return list(session.scalars(select(ApiCall).order_by(ApiCall.id)))


@pytest.fixture
def sink(session_factory: sessionmaker[Session]) -> Iterator[ApiCallSink]:
    created = ApiCallSink(session_factory, flush_interval_s=0.05)
    yield created
    created.close()


def test_calls_are_written_in_the_background_and_on_flush(
    sink: ApiCallSink, session_factory: sessionmaker[Session]
) -> None:
    sink(call())
    sink(call(503, error_code="server_error", latency_ms=1500.2))
    deadline = time.monotonic() + 10
    while len(stored(session_factory)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    rows = stored(session_factory)
    assert [(r.system, r.method, r.endpoint, r.status_code, r.latency_ms) for r in rows] == [
        ("fortnox", "GET", "/3/customers/{number}", 200, 13),
        ("fortnox", "GET", "/3/customers/{number}", 503, 1500),
    ]
    assert (rows[1].error_code, rows[1].correlation_id, rows[1].request_id) == (
        "server_error",
        "cid-1",
        "req-1",
    )
    assert rows[0].payload_summary == '{"Name":"[personal]"}'
    assert rows[0].at is not None


def test_over_long_values_are_clipped_not_refused(
    sink: ApiCallSink, session_factory: sessionmaker[Session]
) -> None:
    sink(call(endpoint="/x/" + "a" * 400, request_id="r" * 300, error_code=None, system="s" * 40))
    sink.flush()
    [row] = stored(session_factory)
    assert (len(row.endpoint), len(row.request_id or ""), len(row.system)) == (300, 200, 32)


def test_each_call_is_a_structured_log_line(
    sink: ApiCallSink, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="westgear_desk.api"):
        sink(call())
        sink(call(None, error_code="timeout"))
    ok, failed = caplog.records
    assert ok.getMessage() == "fortnox GET /3/customers/{number} -> 200 in 13 ms"
    assert (ok.levelno, failed.levelno) == (logging.INFO, logging.WARNING)
    assert "no answer" in failed.getMessage()
    assert (ok.system, ok.endpoint, ok.request_id, ok.correlation_id) == (  # type: ignore[attr-defined]
        "fortnox",
        "/3/customers/{number}",
        "req-1",
        "cid-1",
    )


def test_records_survive_a_locked_database_and_are_written_after(tmp_path: Path) -> None:
    from westgear_desk.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    impatient = create_engine(url, connect_args={"timeout": 0.05})
    factory = make_session_factory(impatient)
    sink = ApiCallSink(factory, flush_interval_s=0.02)
    blocker = sqlite3.connect(tmp_path / "calls.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for n in range(5):
            sink(call(request_id=f"req-{n}"))
        with pytest.raises(Exception, match="locked"):  # kept, not lost
            sink.flush()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    sink.close()
    assert [r.request_id for r in stored(factory)] == [f"req-{n}" for n in range(5)]
    assert sink.dropped == 0
    impatient.dispose()


def test_a_real_client_call_over_loopback_is_recorded_with_its_correlation_id(
    sink: ApiCallSink, session_factory: sessionmaker[Session]
) -> None:
    async def customer(request: Request) -> JSONResponse:
        number = request.path_params["number"]
        if number == "404":
            return JSONResponse({"ErrorInformation": {"message": "no"}}, status_code=404)
        return JSONResponse(
            {"Customer": {"CustomerNumber": number}}, headers={"X-Request-Id": "srv-77"}
        )

    server = SandboxServer(Starlette(routes=[Route("/3/customers/{number}", customer)]))
    server.start()
    try:
        client = ApiClient(server.url, recorder=sink)
        with correlation_scope("order-1001"):
            client.request("GET", "/3/customers/{number}", path_params={"number": "17"})
            with pytest.raises(DataError):
                client.request("GET", "/3/customers/{number}", path_params={"number": "404"})
        client.close()
    finally:
        server.stop()
    sink.flush()
    rows = stored(session_factory)
    assert [(r.endpoint, r.status_code, r.correlation_id) for r in rows] == [
        ("/3/customers/{number}", 200, "order-1001"),
        ("/3/customers/{number}", 404, "order-1001"),
    ]
    assert rows[0].request_id == "srv-77"
