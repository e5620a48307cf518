"""Values come back exactly as written: JSON documents, aware UTC times, Decimal money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db import factories
from westgear_desk.db.base import Base
from westgear_desk.db.models import Job, Price, SyncRun
from westgear_desk.db.session import create_engine_for
from westgear_desk.db.types import JSONDoc

STOCKHOLM_SUMMER = dt.timezone(dt.timedelta(hours=2))


def test_json_documents_round_trip(session_factory: sessionmaker[Session]) -> None:
    payload = {
        "order": "1001",
        "lines": [{"sku": "LJ-100", "qty": 2, "price": "499.00"}],
        "note": "Leverans till Ålö, tack ✓",
        "flags": {"b2b": False, "gift": None},
        "ratio": 0.5,
    }
    with session_factory() as session:
        session.add(Job(kind="email.order_confirmation", idempotency_key="j1", payload=payload))
        session.commit()
    with session_factory() as session:
        assert session.scalars(select(Job.payload)).one() == payload


@pytest.mark.postgres
def test_json_columns_are_jsonb_on_postgres(migrated_pg_url: str) -> None:
    json_columns = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.type is JSONDoc
    }
    assert ("jobs", "payload") in json_columns

    engine = create_engine_for(migrated_pg_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type IN ('json', 'jsonb')"
                )
            ).all()
            contains = connection.execute(
                text('SELECT CAST(\'{"a": {"b": 1}}\' AS jsonb) @> CAST(\'{"a": {}}\' AS jsonb)')
            ).scalar()
    finally:
        engine.dispose()
    assert {(t, c) for t, c, _ in rows} == json_columns
    assert {kind for _, _, kind in rows} == {"jsonb"}
    assert contains is True


def test_datetimes_come_back_aware_utc(session_factory: sessionmaker[Session]) -> None:
    local = dt.datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=STOCKHOLM_SUMMER)
    with session_factory() as session:
        session.add(Job(kind="k", idempotency_key="t1", run_at=local))
        session.commit()
    with session_factory() as session:
        job = session.scalars(select(Job)).one()
        assert job.run_at == local
        assert job.run_at.utcoffset() == dt.timedelta(0)
        assert job.run_at.hour == 12
        assert job.created_at.tzinfo is not None  # server default, too
        assert abs(job.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_datetime_comparisons_use_the_instant(session_factory: sessionmaker[Session]) -> None:
    due = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    with session_factory() as session:
        session.add_all(
            [
                Job(kind="k", idempotency_key="early", run_at=due - dt.timedelta(seconds=1)),
                Job(kind="k", idempotency_key="late", run_at=due + dt.timedelta(seconds=1)),
            ]
        )
        session.commit()
        same_instant_elsewhere = due.astimezone(STOCKHOLM_SUMMER)
        keys = session.scalars(
            select(Job.idempotency_key).where(Job.run_at <= same_instant_elsewhere)
        ).all()
    assert keys == ["early"]


def test_naive_datetimes_are_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        session.add(Job(kind="k", idempotency_key="n1", run_at=dt.datetime(2026, 1, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive"):
            session.commit()
        session.rollback()
        assert session.scalars(select(Job)).all() == []


@pytest.mark.parametrize(
    "amount",
    ["0.00", "0.10", "0.30", "499.90", "1234567.89", "999999999999.99"],
)
def test_money_round_trips_exactly(session_factory: sessionmaker[Session], amount: str) -> None:
    product = factories.product()
    with session_factory() as session:
        session.add(
            Price(
                price_list=factories.price_list(),
                variant=factories.variant(product),
                amount=Decimal(amount),
                currency="SEK",
                vat_rate=Decimal("0.25"),
                includes_vat=True,
            )
        )
        session.commit()
    with session_factory() as session:
        stored = session.scalars(select(Price.amount)).one()
    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount)
    assert str(stored) == amount


def test_float_and_sub_cent_money_are_refused(session_factory: sessionmaker[Session]) -> None:
    for bad, error in ((0.1, "expected Decimal"), (Decimal("1.005"), "more decimals")):
        with session_factory() as session:
            session.add(
                Price(
                    price_list=factories.price_list(),
                    variant=factories.variant(factories.product()),
                    amount=bad,
                    currency="SEK",
                    vat_rate=Decimal("0.25"),
                    includes_vat=True,
                )
            )
            with pytest.raises(StatementError, match=error):
                session.commit()


def test_sync_run_counts_round_trip(session_factory: sessionmaker[Session]) -> None:
    counts = {"fetched": 300, "written": 12, "quarantined": 3}
    with session_factory() as session:
        session.add(SyncRun(schedule="catalog", run_key="catalog@2026-07-01T12:00Z", desk="d1",
                            counts=counts))  # fmt: skip
        session.commit()
    with session_factory() as session:
        assert session.scalars(select(SyncRun.counts)).one() == counts


@pytest.mark.postgres
def test_timestamp_columns_are_timestamptz_on_postgres(migrated_pg_url: str) -> None:
    engine = create_engine_for(migrated_pg_url)
    try:
        with engine.connect() as connection:
            kinds = set(
                connection.execute(
                    text(
                        "SELECT DISTINCT data_type FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND data_type LIKE 'timestamp%'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    assert kinds == {"timestamp with time zone"}
