"""The inbox on one desk, on SQLite and PostgreSQL: record raw, dedupe, process, retry, replay."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.engine_procs import create_effect_tables, effect_processor
from westgear_desk.db.models.admin import AuditEntry
from westgear_desk.db.models.engine import InboxAttempt, InboxEvent
from westgear_desk.errors import ServerError
from westgear_desk.sync.inbox import (
    EventIgnored,
    InboxContext,
    InboxProcessor,
    InboxRegistry,
    get_event,
    list_events,
    record,
    replay,
)
from westgear_desk.sync.retry import PolicyResolver, RetryPolicy

Processor = Callable[[InboxContext], None]
BODY = b'{"id": "evt-1", "sku": "LJ-100", "stock": 12}'
HEADERS = {"Content-Type": "application/json", "X-Sharespine-Signature": "sha256=deadbeef"}


@pytest.fixture
def effects(engine: Engine) -> Engine:
    create_effect_tables(engine)
    return engine


def processor_for(
    factory: sessionmaker[Session], processors: dict[tuple[str, str], Processor], **kwargs: object
) -> InboxProcessor:
    registry = InboxRegistry()
    for (source, event_type), processor in processors.items():
        registry.register(source, event_type, processor)
    policies = PolicyResolver(default=RetryPolicy(schedule_s=(0, 0), jitter=0))
    return InboxProcessor(
        factory, registry, desk_id="desk-a", policies=policies, rng=random.Random(3), **kwargs
    )  # type: ignore[arg-type]


def event(factory: sessionmaker[Session], event_id: int) -> InboxEvent:
    with factory() as session:
        return session.get_one(InboxEvent, event_id)


def attempts(factory: sessionmaker[Session], event_id: int) -> list[InboxAttempt]:
    with factory() as session:
        return list(
            session.scalars(
                select(InboxAttempt)
                .where(InboxAttempt.event_id == event_id)
                .order_by(InboxAttempt.attempt_no)
            )
        )


def stock_event(
    factory: sessionmaker[Session],
    key: str | None = "evt-1",
    body: bytes = BODY,
    signature_ok: bool = True,
) -> int:
    result = record(
        factory,
        "sharespine",
        key,
        HEADERS,
        body,
        signature_ok,
        event_type="stock.changed",
        correlation_id="cid-1",
    )
    return result.event_id


def test_record_stores_raw_body_and_headers_without_secrets(
    session_factory: sessionmaker[Session],
) -> None:
    result = record(
        session_factory,
        "sharespine",
        "evt-1",
        HEADERS,
        BODY,
        True,
        event_type="stock.changed",
        correlation_id="cid-1",
    )
    assert result.duplicate is False
    stored = event(session_factory, result.event_id)
    assert stored.raw_body == BODY
    assert (stored.status, stored.signature_ok, stored.correlation_id) == (
        "received",
        True,
        "cid-1",
    )
    assert stored.headers["content-type"] == "application/json"
    assert stored.headers["x-sharespine-signature"] == "[secret]"
    assert "deadbeef" not in json.dumps(stored.headers)


def test_the_same_webhook_ten_times_is_one_event_with_one_effect(
    session_factory: sessionmaker[Session], effects: Engine
) -> None:
    results = [
        record(
            session_factory, "sharespine", "evt-1", HEADERS, BODY, True, event_type="stock.changed"
        )
        for _ in range(10)
    ]
    assert [r.duplicate for r in results] == [False] + [True] * 9
    assert len({r.event_id for r in results}) == 1
    processor = processor_for(session_factory, {("sharespine", "stock.changed"): effect_processor})
    assert processor.run_once() == 1
    assert processor.run_once() == 0
    with effects.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM test_effects")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM inbox_events")).scalar() == 1


def test_without_a_provider_id_the_body_hash_dedupes(
    session_factory: sessionmaker[Session],
) -> None:
    first = record(session_factory, "klarna", None, {}, BODY, True, event_type="order.captured")
    again = record(session_factory, "klarna", None, {}, BODY, True, event_type="order.captured")
    other = record(
        session_factory, "klarna", None, {}, BODY + b" ", True, event_type="order.captured"
    )
    assert (again.event_id, again.duplicate) == (first.event_id, True)
    assert other.duplicate is False
    assert event(session_factory, first.event_id).dedupe_key.startswith("sha256:")


def test_same_key_from_another_source_is_another_event(
    session_factory: sessionmaker[Session],
) -> None:
    a = record(session_factory, "sharespine", "1", {}, BODY, True, event_type="stock.changed")
    b = record(session_factory, "klarna", "1", {}, BODY, True, event_type="order.captured")
    assert a.event_id != b.event_id
    assert not b.duplicate


def test_a_forged_event_is_kept_but_never_processed_and_cannot_block_the_real_one(
    session_factory: sessionmaker[Session], effects: Engine
) -> None:
    forged = stock_event(session_factory, body=b'{"id": "evt-1", "stock": 0}', signature_ok=False)
    genuine = stock_event(session_factory)
    assert forged != genuine
    assert event(session_factory, forged).status == "ignored"
    processor = processor_for(session_factory, {("sharespine", "stock.changed"): effect_processor})
    assert processor.run_once() == 1
    assert event(session_factory, genuine).status == "processed"
    assert event(session_factory, forged).status == "ignored"
    with pytest.raises(ValueError, match="signature"):
        processor.replay(forged, actor="admin1")


@pytest.mark.parametrize(
    ("source", "event_type", "body", "message"),
    [
        ("", "stock.changed", b"{}", "source"),
        ("x" * 33, "stock.changed", b"{}", "source"),
        ("sharespine", "", b"{}", "event_type"),
        ("sharespine", "stock.changed", b"x" * (5 * 1024 * 1024 + 1), "exceeds"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_written(
    session_factory: sessionmaker[Session],
    source: str,
    event_type: str,
    body: bytes,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        record(session_factory, source, "k", {}, body, True, event_type=event_type)
    with session_factory() as session:
        assert session.scalar(text("SELECT count(*) FROM inbox_events")) == 0


def test_malformed_body_goes_dead_with_the_reason(session_factory: sessionmaker[Session]) -> None:
    event_id = stock_event(session_factory, key="bad", body=b'{"id": "evt-1", "sku": ')
    processor = processor_for(session_factory, {("sharespine", "stock.changed"): effect_processor})
    assert processor.run_once() == 1
    dead = event(session_factory, event_id)
    assert dead.status == "dead"
    assert "not valid JSON" in (dead.last_error or "")
    [attempt] = attempts(session_factory, event_id)
    assert (attempt.outcome, attempt.error_class) == ("dead", "DataError")


def test_transient_failures_retry_then_dead_after_the_last_attempt(
    session_factory: sessionmaker[Session],
) -> None:
    event_id = stock_event(session_factory)

    def failing(context: InboxContext) -> None:
        raise ServerError("Sharespine answered 503")

    processor = processor_for(session_factory, {("sharespine", "stock.changed"): failing})
    assert processor.run_once() == 3
    assert event(session_factory, event_id).status == "dead"
    assert [a.outcome for a in attempts(session_factory, event_id)] == ["retry", "retry", "dead"]


def test_a_processor_can_ignore_an_event(session_factory: sessionmaker[Session]) -> None:
    event_id = stock_event(session_factory)

    def stale(context: InboxContext) -> None:
        raise EventIgnored("older than the stock we already have")

    processor_for(session_factory, {("sharespine", "stock.changed"): stale}).run_once()
    assert event(session_factory, event_id).status == "ignored"
    [attempt] = attempts(session_factory, event_id)
    assert (attempt.outcome, attempt.message) == ("ignored", "older than the stock we already have")


def test_events_without_a_processor_here_wait(session_factory: sessionmaker[Session]) -> None:
    event_id = record(session_factory, "klarna", "k1", {}, b"{}", True, event_type="new.type")
    processor = processor_for(session_factory, {("sharespine", "stock.changed"): effect_processor})
    assert processor.run_once() == 0
    assert event(session_factory, event_id.event_id).status == "received"


def test_replay_runs_processing_again_recorded_as_a_replay_by_whom(
    session_factory: sessionmaker[Session], effects: Engine
) -> None:
    event_id = stock_event(session_factory)
    seen: list[InboxContext] = []

    def processor(context: InboxContext) -> None:
        seen.append(context)
        effect_processor(context)

    registry = InboxRegistry()
    registry.register("sharespine", "stock.changed", processor)
    processor_for(session_factory, {("sharespine", "stock.changed"): processor}).run_once()
    replay(session_factory, registry, event_id, actor="admin1", reason="check the stock")
    assert [(c.attempt_no, c.is_replay) for c in seen] == [(1, False), (2, True)]
    history = attempts(session_factory, event_id)
    assert [(a.outcome, a.is_replay, a.replayed_by) for a in history] == [
        ("processed", False, None),
        ("processed", True, "admin1"),
    ]
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry)).one()
        summary, views = get_event(session, event_id) or (None, [])
        listed = list_events(session, status="processed")
    assert (entry.username, entry.action, entry.target_id) == (
        "admin1",
        "inbox.replay",
        str(event_id),
    )
    assert (entry.reason, entry.correlation_id) == ("check the stock", "cid-1")
    assert summary is not None
    assert summary.status == "processed"
    assert [v.replayed_by for v in views] == [None, "admin1"]
    assert [e.id for e in listed] == [event_id]
    with effects.connect() as connection:  # processors are idempotent: still one effect
        assert connection.execute(text("SELECT count(*) FROM test_effects")).scalar() == 1


def test_replay_refuses_unknown_and_busy_events(session_factory: sessionmaker[Session]) -> None:
    event_id = stock_event(session_factory)
    processor = processor_for(session_factory, {("sharespine", "stock.changed"): effect_processor})
    with pytest.raises(LookupError, match="does not exist"):
        processor.replay(999_999, actor="admin1")
    with session_factory.begin() as session:
        session.execute(
            update(InboxEvent).values(
                status="processing",
                locked_by="desk-b:1:x",
                lease_expires_at=datetime.now(UTC) + timedelta(minutes=1),
            )
        )
    with pytest.raises(ValueError, match="being processed"):
        processor.replay(event_id, actor="admin1")


def test_expired_inbox_lease_is_reclaimed(session_factory: sessionmaker[Session]) -> None:
    event_id = stock_event(session_factory)
    with session_factory.begin() as session:
        session.execute(
            update(InboxEvent).values(
                status="processing",
                locked_by="desk-b:1:x",
                attempts=1,
                lease_expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
    done: list[int] = []
    processor = processor_for(
        session_factory, {("sharespine", "stock.changed"): lambda c: done.append(c.attempt_no)}
    )
    assert processor.reclaim_expired() == 1
    assert processor.run_once() == 1
    assert done == [2]
    assert [(a.outcome, a.desk) for a in attempts(session_factory, event_id)] == [
        ("lease_lost", "desk-b"),
        ("processed", "desk-a"),
    ]
