"""The admin read models: quarantine reasons, inbox and call-log filters, 24 h call stats."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import (
    NOW,
    seed_api_calls,
    seed_inbox,
    seed_quarantine,
)
from westgear_desk.db.enums import InboxStatus, QuarantineStatus
from westgear_desk.db.queries_admin import (
    ApiCallQuery,
    InboxQuery,
    QuarantineQuery,
    api_call_rows,
    call_stats_24h,
    inbox_rows,
    quarantine_detail,
    quarantine_ids,
    quarantine_rows,
    reason_from_json,
)
from westgear_desk.db.session import unit_of_work


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(session_factory) as session:
        seed_api_calls(session)
        seed_inbox(session)
        return seed_quarantine(session)


def test_quarantine_rows_in_order_with_reasons(
    session_factory: sessionmaker[Session], seeded: list[int]
) -> None:
    with session_factory() as session:
        open_ids = quarantine_ids(session, QuarantineQuery())
        everything = quarantine_ids(session, QuarantineQuery(status=None))
        found = quarantine_ids(session, QuarantineQuery(search="q-2"))
        by_sku = quarantine_ids(session, QuarantineQuery(search="Q-SKU-3"))
        by_reason = quarantine_ids(session, QuarantineQuery(search="missing_ean"))
        rows = quarantine_rows(session, open_ids)
        detail = quarantine_detail(session, seeded[0])
    assert open_ids == seeded  # most recently seen first
    assert len(everything) == 4
    assert len(found) == 1
    assert by_sku == [seeded[2]]
    assert sorted(by_reason) == sorted([seeded[0], seeded[2]])
    assert rows[0].label == "Trasig produkt 1"
    assert [r.code for r in rows[0].reasons] == ["negative_price", "missing_ean"]
    assert rows[0].reasons[1].message("sv") == "EAN saknas"
    assert rows[0].reasons[1].message("en") == "The EAN is missing"
    assert detail is not None
    assert detail.raw_payload["prices"][0]["amount"] == -10


def test_reason_from_odd_json_is_still_readable() -> None:
    assert reason_from_json("plain text").message("en") == "plain text"
    assert reason_from_json({"code": "x", "message_en": "Only English"}).message("sv") == (
        "Only English"
    )


def test_inbox_and_call_filters(session_factory: sessionmaker[Session], seeded: list[int]) -> None:
    with session_factory() as session:
        dead = inbox_rows(session, InboxQuery(status=InboxStatus.DEAD))
        errors = api_call_rows(session, ApiCallQuery(outcome="error"))
        slow = api_call_rows(session, ApiCallQuery(min_latency_ms=1000))
        klarna_ok = api_call_rows(session, ApiCallQuery(system="klarna", outcome="ok"))
    assert [e.last_error for e in dead] == ["boom"]
    assert {c.status_code for c in errors} == {503}
    assert len(errors) == 4
    assert [c.system for c in slow] == ["fortnox"]
    assert len(klarna_ok) == 12


def test_call_stats_bucket_24_hours(
    session_factory: sessionmaker[Session], seeded: list[int]
) -> None:
    with session_factory() as session:
        stats = call_stats_24h(session, now=NOW)
        klarna = call_stats_24h(session, now=NOW, system="klarna")
    assert len(stats) == 24
    assert stats[0].start == NOW - dt.timedelta(hours=24)
    assert sum(s.calls for s in stats) == 17
    assert sum(s.errors for s in stats) == 4
    assert stats[-1].max_latency_ms == 4200  # the slow Fortnox call a minute ago
    assert sum(s.calls for s in klarna) == 16


def test_status_none_lists_resolved_entries_too(
    session_factory: sessionmaker[Session], seeded: list[int]
) -> None:
    with session_factory() as session:
        ignored = quarantine_ids(session, QuarantineQuery(status=QuarantineStatus.IGNORED))
    assert len(ignored) == 1
