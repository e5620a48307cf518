"""inbox.record on PostgreSQL: concurrent duplicates, dropped connections; SQLite as it was."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from westgear_desk.db.session import create_engine_for, make_session_factory
from westgear_desk.sync import inbox_fastpath
from westgear_desk.sync.inbox import RecordResult, record

BODY = b'{"id": "evt-1", "sku": "LJ-100", "stock": 12}'
HEADERS = {"Content-Type": "application/json", "X-Sharespine-Signature": "sha256=deadbeef"}


@pytest.fixture
def app_name() -> str:
    return f"wg-fastpath-{secrets.token_hex(4)}"


@pytest.fixture
def pg_engine(migrated_pg_url: str, app_name: str) -> Iterator[Engine]:
    engine = create_engine_for(migrated_pg_url, application_name=app_name)
    yield engine
    engine.dispose()


@pytest.fixture
def admin(migrated_pg_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def stock(factory: sessionmaker[Session], key: str) -> RecordResult:
    return record(factory, "sharespine", key, HEADERS, BODY, True, event_type="stock.changed")


def backends(admin: Engine, app_name: str) -> set[int]:
    with admin.connect() as connection:
        rows = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": app_name},
        )
        return {int(pid) for pid in rows.scalars()}


def terminate(admin: Engine, app_name: str) -> int:
    """Terminate the app's backends and wait until they are gone; return how many."""
    with admin.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": app_name},
        )
        return sum(1 for ok in rows.scalars() if ok)


def stored_keys(admin: Engine) -> list[str]:
    with admin.connect() as connection:
        return list(connection.execute(text("SELECT dedupe_key FROM inbox_events")).scalars())


def in_threads(count: int, work: Callable[[int], RecordResult]) -> list[RecordResult]:
    start = threading.Barrier(count)

    def run(n: int) -> RecordResult:
        start.wait(10)
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
def test_one_delivery_from_eight_threads_at_once_is_one_event(
    pg_engine: Engine, admin: Engine
) -> None:
    factory = make_session_factory(pg_engine)
    for round_no in range(5):
        results = in_threads(8, lambda _n, key=f"evt-{round_no}": stock(factory, key))
        assert sorted(r.duplicate for r in results) == [False] + [True] * 7
        assert len({r.event_id for r in results}) == 1
    assert sorted(stored_keys(admin)) == [f"evt-{n}" for n in range(5)]


@pytest.mark.postgres
def test_concurrent_writers_store_every_event_on_a_bounded_set_of_connections(
    pg_engine: Engine, admin: Engine, app_name: str
) -> None:
    factory = make_session_factory(pg_engine)

    def write_fifty(n: int) -> RecordResult:
        results = [stock(factory, f"w{n}-{i}") for i in range(50)]
        assert not any(r.duplicate for r in results)
        return results[-1]

    in_threads(6, write_fifty)
    assert len(set(stored_keys(admin))) == 300
    held = backends(admin, app_name)
    assert 1 <= len(held) <= 6  # one per concurrent writer at most, kept for reuse
    pg_engine.dispose()  # closes the inbox's connections too
    deadline = time.monotonic() + 10  # a closed connection's backend exits a moment later
    while backends(admin, app_name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends(admin, app_name) == set()


@pytest.mark.postgres
def test_after_the_backend_is_terminated_the_next_record_reconnects_and_succeeds(
    pg_engine: Engine, admin: Engine, app_name: str
) -> None:
    factory = make_session_factory(pg_engine)
    first = stock(factory, "before")
    before = backends(admin, app_name)
    assert terminate(admin, app_name) >= 1
    after_drop = stock(factory, "after")  # no error: the dead connection is never used
    again = stock(factory, "before")
    assert (after_drop.duplicate, again.duplicate, again.event_id) == (False, True, first.event_id)
    assert backends(admin, app_name).isdisjoint(before)
    assert sorted(stored_keys(admin)) == ["after", "before"]


@pytest.mark.postgres
def test_connections_dropped_mid_stream_lose_nothing(
    pg_engine: Engine, admin: Engine, app_name: str
) -> None:
    """A writer keeps recording while its backends are terminated again and again.

    Like a provider, it sends a delivery again when `record` raised; every delivery
    `record` acknowledged is stored, and each key exactly once.
    """
    factory = make_session_factory(pg_engine)
    acknowledged: dict[str, RecordResult] = {}
    failures: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            key = f"evt-{n}"
            for _ in range(5):
                try:
                    acknowledged[key] = stock(factory, key)
                    break
                except DBAPIError as exc:
                    failures.append(exc)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    drops = 0
    try:
        for _ in range(6):
            progressed(acknowledged, 25)
            drops += terminate(admin, app_name)
        progressed(acknowledged, 25)
    finally:
        stop.set()
        thread.join(60)
    assert drops >= 6
    keys = stored_keys(admin)
    assert len(keys) == len(set(keys)) == len(acknowledged) >= 175
    assert set(keys) == set(acknowledged)  # each key once, no acknowledged delivery lost
    assert len(failures) <= drops  # at most the statement in flight fails per drop
    # a delivery is only reported as already stored if its own first try had failed (and
    # might have committed before the connection died)
    assert sum(r.duplicate for r in acknowledged.values()) <= len(failures)


def progressed(acknowledged: dict[str, RecordResult], more: int, timeout_s: float = 30.0) -> None:
    """Wait until `more` further deliveries were acknowledged."""
    target = len(acknowledged) + more
    tick = threading.Event()
    for _ in range(int(timeout_s / 0.01)):
        if len(acknowledged) >= target:
            return
        tick.wait(0.01)
    raise AssertionError(f"the writer stalled below {target} acknowledged deliveries")


@pytest.mark.postgres
def test_a_value_the_database_refuses_is_a_database_error_and_the_connection_lives_on(
    pg_engine: Engine, admin: Engine, app_name: str
) -> None:
    factory = make_session_factory(pg_engine)
    stock(factory, "ok-1")
    pids = backends(admin, app_name)
    with pytest.raises(DBAPIError):  # jsonb refuses the NUL character
        record(factory, "sharespine", "bad", {"X-Note": "a\x00b"}, BODY, True, event_type="x")
    assert not stock(factory, "ok-2").duplicate
    assert backends(admin, app_name) == pids  # the same connection, still healthy
    assert sorted(stored_keys(admin)) == ["ok-1", "ok-2"]


@pytest.mark.postgres
def test_an_unreachable_server_is_a_sqlalchemy_operational_error() -> None:
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(OperationalError):
            stock(make_session_factory(engine), "evt-1")
    finally:
        engine.dispose()


def test_sqlite_records_through_sqlalchemy_unchanged(migrated_sqlite_url: str) -> None:
    engine = create_engine_for(migrated_sqlite_url)
    try:
        factory = make_session_factory(engine)
        first = stock(factory, "evt-1")
        again = stock(factory, "evt-1")
        assert (first.duplicate, again.duplicate, again.event_id) == (False, True, first.event_id)
        assert engine not in inbox_fastpath._WRITERS  # no PostgreSQL writer was made
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT status, next_attempt_at, headers FROM inbox_events")
            ).one()
        assert row.status == "received"
        assert row.next_attempt_at is not None
        assert "deadbeef" not in row.headers
    finally:
        engine.dispose()
