"""The orders, timeline and health read models against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.ui.order_seed import START, seed_orders
from westgear_desk.db import queries
from westgear_desk.db.enums import JobStatus, OrderStatus, SyncRunStatus
from westgear_desk.db.models import (
    ApiCall,
    Customer,
    Job,
    Order,
    OrderLine,
    Payment,
    QuarantineEntry,
    SyncRun,
)
from westgear_desk.db.queries_orders import NO_PAYMENT, OrderFilter
from westgear_desk.db.session import unit_of_work


@pytest.fixture
def seeded(engine: Engine, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_orders(engine, 300, customers=40)
    return session_factory


def _ids(factory: sessionmaker[Session], flt: OrderFilter, **kwargs: object) -> list[int]:
    with factory() as session:
        return queries.order_ids(session, flt, **kwargs)  # type: ignore[arg-type]


def _numbers(factory: sessionmaker[Session], ids: list[int]) -> set[str]:
    with factory() as session:
        return {row.order_number for row in queries.order_rows(session, ids)}


def test_default_order_is_newest_first_and_limit_applies(seeded: sessionmaker[Session]) -> None:
    ids = _ids(seeded, OrderFilter())
    assert len(ids) == 300
    assert ids[:3] == [300, 299, 298]
    assert _ids(seeded, OrderFilter(), limit=5) == [300, 299, 298, 297, 296]
    assert _ids(seeded, OrderFilter(), sort_key="placed_at", descending=False)[0] == 1


def test_text_matches_number_email_customer_and_sku_case_insensitively(
    seeded: sessionmaker[Session],
) -> None:
    assert _numbers(seeded, _ids(seeded, OrderFilter(text="wg-0000042"))) == {"WG-0000042"}
    with seeded() as session:
        by_email = set(session.scalars(select(Order.id).where(Order.email == "kund3@example.se")))
        customer = session.get(Customer, 7)
        assert customer is not None
        by_name = set(
            session.scalars(select(Order.id).join(Customer).where(Customer.name == customer.name))
        )
        by_sku = set(
            session.scalars(select(OrderLine.order_id).where(OrderLine.sku == "ROPE-10M-2"))
        )
    assert set(_ids(seeded, OrderFilter(text="KUND3@EXAMPLE.SE"))) == by_email
    assert by_name <= set(_ids(seeded, OrderFilter(text=customer.name.upper())))
    assert set(_ids(seeded, OrderFilter(text="rope-10m-2"))) == by_sku
    # The first rows (LIMIT, planned differently) are the start of the full list.
    for text in ("rope-10m-2", "kund", customer.name.split()[0]):
        full = _ids(seeded, OrderFilter(text=text))
        assert _ids(seeded, OrderFilter(text=text), limit=7) == full[:7]
    # Every word must match: number AND e-mail of another order gives nothing.
    assert _ids(seeded, OrderFilter(text="WG-0000042 kund-none@example.se")) == []


def test_status_channel_payment_and_date_filters(seeded: sessionmaker[Session]) -> None:
    flt = OrderFilter(statuses=(OrderStatus.SHIPPED,), channel="webshop")
    with seeded() as session:
        expected = set(
            session.scalars(
                select(Order.id).where(
                    Order.status == OrderStatus.SHIPPED, Order.channel == "webshop"
                )
            )
        )
        paid = set(session.scalars(select(Payment.order_id).where(Payment.status == "captured")))
        unpaid = set(session.scalars(select(Order.id))) - set(
            session.scalars(select(Payment.order_id))
        )
    assert set(_ids(seeded, flt)) == expected
    assert set(_ids(seeded, OrderFilter(payment_state="captured"))) == paid
    assert set(_ids(seeded, OrderFilter(payment_state=NO_PAYMENT))) == unpaid
    # Orders are 5 minutes apart from START (00:00 UTC = 01:00 Stockholm): the first
    # Stockholm day holds orders 1..275 (up to 23:55 local time).
    day = START.date()
    assert len(_ids(seeded, OrderFilter(placed_from=day, placed_to=day))) == 275
    assert len(_ids(seeded, OrderFilter(placed_from=day + dt.timedelta(days=1)))) == 25


def test_sort_by_total_and_customer(seeded: sessionmaker[Session]) -> None:
    ids = _ids(seeded, OrderFilter(), sort_key="total", descending=False)
    with seeded() as session:
        totals = [session.get(Order, i).total_incl_vat for i in ids[:20]]  # type: ignore[union-attr]
    assert totals == sorted(totals)
    by_customer = _ids(seeded, OrderFilter(), sort_key="customer", descending=False)
    with seeded() as session:
        rows = {r.id: r for r in queries.order_rows(session, by_customer[:50])}
    names = [rows[i].customer_name for i in by_customer[:50]]
    assert names == sorted(names)


def test_rows_carry_payment_state_and_skip_missing_ids(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        rows = queries.order_rows(session, [1, 2, 99999])
        states = {p.order_id: str(p.status) for p in session.scalars(select(Payment))}
    assert {row.id for row in rows} == {1, 2}
    for row in rows:
        assert row.payment_state == states.get(row.id)
        assert isinstance(row.total_incl_vat, Decimal)
        assert row.placed_at.tzinfo is not None


def test_detail_and_timeline(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        order = session.get(Order, 9)
        assert order is not None
        order.shipping_address = {
            "name": "Per Ek",
            "street": "Hamngatan 2",
            "postalCode": "111 47",
            "city": "Stockholm",
        }
        session.add(
            Job(
                kind="fortnox.invoice",
                idempotency_key="inv-9",
                correlation_id=order.correlation_id,
                status=JobStatus.DEAD,
                last_error="422 from Fortnox",
            )
        )
        session.add(
            QuarantineEntry(
                source_system="sharespine",
                record_type="order",
                external_id=order.remote_id,
                reasons=[
                    {
                        "code": "unknown_sku",
                        "field": "rows[0].sku",
                        "message_sv": "Okänt artikelnr X-1",
                        "message_en": "SKU X-1 is unknown",
                    }
                ],
                raw_payload={},
            )
        )
        session.add(
            ApiCall(
                system="fortnox",
                method="POST",
                endpoint="/3/invoices",
                status_code=422,
                latency_ms=80,
                correlation_id=order.correlation_id,
            )
        )
    with seeded() as session:
        detail = queries.order_detail(session, 9)
        timeline = queries.order_timeline(session, 9)
        assert queries.order_detail(session, 123456) is None
    assert detail is not None
    assert detail.order_number == "WG-0000009"
    assert detail.customer is not None
    assert detail.lines
    assert detail.shipping_address[:2] == ["Per Ek", "Hamngatan 2"]
    assert {(e.kind.value, e.outcome.value) for e in timeline} == {
        ("sync", "ok"),
        ("quarantine", "warning"),
        ("job", "error"),
        ("api_call", "warning"),
    }
    notice = next(e for e in timeline if e.kind.value == "quarantine")
    assert notice.detail == "SKU X-1 is unknown"


def test_integration_health(session_factory: sessionmaker[Session]) -> None:
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(session_factory) as session:
        session.add_all(
            [
                SyncRun(
                    schedule="catalog",
                    run_key="c1",
                    desk="d",
                    status=SyncRunStatus.FAILED,
                    started_at=now - dt.timedelta(minutes=10),
                ),
                SyncRun(
                    schedule="catalog",
                    run_key="c2",
                    desk="d",
                    status=SyncRunStatus.SUCCEEDED,
                    started_at=now - dt.timedelta(minutes=1),
                ),
                Job(kind="klarna.capture", idempotency_key="k", status=JobStatus.DEAD),
                *[
                    ApiCall(
                        system=system,
                        method="GET",
                        endpoint="/x",
                        latency_ms=5,
                        status_code=status,
                        at=now - dt.timedelta(minutes=5 - i),
                    )
                    for system, statuses in (
                        ("postnord", (200, 200, 503, 503, None)),  # failing right now
                        ("fortnox", (503, 503, 503, 503, 200)),  # recovered
                    )
                    for i, status in enumerate(statuses)
                ],
            ]
        )
    with session_factory() as session:
        health = {
            h.integration: h
            for h in queries.integration_health(
                session, ("sharespine", "klarna", "postnord", "fortnox", "dhl")
            )
        }
    assert health["sharespine"].level is queries.HealthLevel.DEGRADED  # recovered, failed today
    assert health["sharespine"].failed_runs_24h == 1
    assert health["klarna"].level is queries.HealthLevel.DEGRADED
    assert health["postnord"].level is queries.HealthLevel.FAILING  # its last 3 calls failed
    assert health["postnord"].failing_streak == 3
    assert health["fortnox"].level is queries.HealthLevel.DEGRADED  # recovered: latest call ok
    assert health["dhl"].level is queries.HealthLevel.IDLE


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        ({"last_run_failed": True}, "failing"),
        ({"calls": 10, "errors": 5, "failing_streak": 3}, "failing"),
        ({"calls": 10, "errors": 5, "failing_streak": 0}, "degraded"),
        ({"calls": 10, "errors": 2}, "degraded"),
        ({"dead_jobs": 1}, "degraded"),
        ({"any_activity": True}, "ok"),
        ({}, "idle"),
    ],
)
def test_classify(facts: dict[str, object], level: str) -> None:
    base: dict[str, object] = {
        "last_run_failed": False,
        "failed_runs_24h": 0,
        "dead_jobs": 0,
        "calls": 0,
        "errors": 0,
        "any_activity": bool(facts.get("calls")),
    }
    assert queries.classify(**{**base, **facts}).value == level  # type: ignore[arg-type]
