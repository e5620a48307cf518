"""Group commit: concurrent deliveries share transactions, each answered after its commit."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import InboxStatus
from westgear_desk.db.session import create_engine_for, make_session_factory
from westgear_desk.sync import inbox
from westgear_desk.webhooks.batcher import Delivery, InboxBatcher, write_batch

from .conftest import RunningReceiver, events, notification, signed


def delivery(
    key: str | None = None, *, ok: bool = True, event_type: str = "stock_changed"
) -> Delivery:
    body = f'{{"id": "{key or uuid.uuid4().hex}"}}'.encode()
    return Delivery(
        "sharespine", key, {"X-Sharespine-Signature": "abc"}, body, ok, event_type, "cid-1"
    )


def test_batch_results_in_order_with_duplicates_inside_and_before(
    session_factory: sessionmaker[Session],
) -> None:
    before = inbox.record(session_factory, "sharespine", "k-old", {}, b"{}", True, event_type="x")
    batch = [
        delivery("k-1"),
        delivery("k-old"),
        delivery("k-1"),
        delivery("k-2"),
        delivery(ok=False),
    ]

    results = write_batch(session_factory, batch)

    assert [r.duplicate for r in results] == [False, True, True, False, False]
    assert results[1].event_id == before.event_id
    assert results[0].event_id == results[2].event_id
    stored = {e.dedupe_key: e for e in events(session_factory)}
    assert set(stored) == {"k-old", "k-1", "k-2", batch[4].stored_key}
    assert stored["k-1"].headers["x-sharespine-signature"] != "abc"  # secrets cleaned
    assert stored[batch[4].stored_key].status == InboxStatus.IGNORED
    assert stored["k-2"].correlation_id == "cid-1"


def test_concurrent_records_share_transactions(session_factory: sessionmaker[Session]) -> None:
    batcher = InboxBatcher(session_factory, max_batch=64)

    async def run() -> list[inbox.RecordResult]:
        results = await asyncio.gather(*(batcher.record(delivery(f"c-{i}")) for i in range(150)))
        await batcher.close()
        return list(results)

    results = asyncio.run(run())

    assert not any(r.duplicate for r in results)
    assert len({r.event_id for r in results}) == 150
    assert len(events(session_factory)) == 150


def test_one_bad_delivery_does_not_fail_the_others(migrated_pg_url: str) -> None:
    engine = create_engine_for(migrated_pg_url)
    factory = make_session_factory(engine)
    batcher = InboxBatcher(factory)
    bad = delivery("too-long", event_type="x" * 150)  # longer than the column allows

    async def run() -> list[object]:
        results = await asyncio.gather(
            batcher.record(delivery("a")),
            batcher.record(bad),
            batcher.record(delivery("b")),
            return_exceptions=True,
        )
        await batcher.close()
        return list(results)

    try:
        first, second, third = asyncio.run(run())
        assert isinstance(first, inbox.RecordResult)
        assert isinstance(third, inbox.RecordResult)
        assert isinstance(second, ValueError)
        assert sorted(e.dedupe_key for e in events(factory)) == ["a", "b"]
    finally:
        engine.dispose()


def test_two_hundred_concurrent_notifications_all_stored(receiver: RunningReceiver) -> None:
    bodies = [notification() for _ in range(200)]
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda b: receiver.post("sharespine", b, signed(b)), bodies))

    assert [a.status_code for a in answers] == [200] * 200
    assert len({a.json()["event_id"] for a in answers}) == 200
    assert len(events(receiver.factory)) == 200
