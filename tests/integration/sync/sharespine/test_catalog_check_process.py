"""The check process decides every page exactly as checking in this process does.

`prepare_checked` (the desk's half of a page checked in the check process) must give the
same publish/quarantine decisions, rows, reasons and payloads as `prepare_page`, also when
the worker could not know something: a SKU stored before the run, an admin override, a
product it took for unchanged. And a worker that dies must not lose a page.
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.sync.sharespine.catalog_fixtures import PAGE_SIZE, Hub
from westgear_desk.db.enums import RecordType
from westgear_desk.sandbox.seed import broken_kind_for, generate_product
from westgear_desk.sandbox.sharespine.payloads import product_json
from westgear_desk.sync import quarantine
from westgear_desk.sync.sharespine.catalog_checked import prepare_checked
from westgear_desk.sync.sharespine.catalog_pages import (
    CatalogSync,
    CheckingPage,
    PreparedPage,
    prepare_page,
)
from westgear_desk.sync.sharespine.catalog_upsert import published_hashes
from westgear_desk.sync.sharespine.check_process import PageChecker, check_records
from westgear_desk.sync.sharespine.prefetch import parse_product_records

SEED = 31
BROKEN = 0.3


def page_body(start: int, count: int, *extra: dict[str, Any]) -> bytes:
    records = [
        product_json(generate_product(SEED, i, BROKEN, 3)) for i in range(start, start + count)
    ]
    return json.dumps([*records, *extra], ensure_ascii=False).encode()


def same_decisions(a: PreparedPage, b: PreparedPage) -> None:
    assert a.fetched == b.fetched
    assert a.unchanged == b.unchanged
    assert a.page.seen == b.page.seen
    assert a.page.valid == b.page.valid
    assert a.page.quarantined == b.page.quarantined


def both_ways(
    session_factory: sessionmaker[Session],
    body: bytes,
    published: dict[str, str],
    seen_skus: set[str] | None = None,
) -> PreparedPage:
    """Decide `body` in-process and via checked records; assert they agree; return one."""
    records = parse_product_records(body)
    checked = check_records(records, published, seen_skus if seen_skus is not None else set())
    with session_factory() as session:
        here = prepare_page(session, records)
        apart = prepare_checked(session, checked, body)
    same_decisions(here, apart)
    return apart


def write(session_factory: sessionmaker[Session], sync: CatalogSync, body: bytes) -> None:
    from westgear_desk.sync.sharespine.catalog_pages import commit_page

    with session_factory.begin() as session:
        commit_page(sync, session, prepare_page(session, parse_product_records(body)), None)


@pytest.fixture
def sync(session_factory: sessionmaker[Session]) -> CatalogSync:
    return CatalogSync(session_factory, client=None)  # type: ignore[arg-type] - no fetching here


def test_a_first_page_is_decided_alike(session_factory: sessionmaker[Session]) -> None:
    prepared = both_ways(session_factory, page_body(0, 40), {})
    assert prepared.page.valid
    assert prepared.page.quarantined  # about 30 % of the seed is broken


def test_products_thought_unchanged_are_checked_when_the_store_disagrees(
    session_factory: sessionmaker[Session],
) -> None:
    body = page_body(0, 40)
    records = parse_product_records(body)
    everything = {
        c.key: c.digest for c in check_records(records, {}, set()) if c.digest is not None
    }
    prepared = both_ways(session_factory, body, everything)  # nothing is stored yet
    assert prepared.unchanged == []
    assert prepared.page.valid
    assert prepared.page.quarantined


def test_a_stored_page_is_unchanged_and_a_product_unpublished_since_is_checked_again(
    session_factory: sessionmaker[Session], sync: CatalogSync
) -> None:
    body = page_body(0, 40)
    write(session_factory, sync, body)
    with session_factory() as session:
        snapshot = published_hashes(session)
    prepared = both_ways(session_factory, body, snapshot)
    assert len(prepared.unchanged) == len(snapshot) > 0

    gone = sorted(snapshot)[0]
    with session_factory.begin() as session:
        from westgear_desk.sync.sharespine.catalog_upsert import unpublish

        unpublish(session, [gone])
    again = both_ways(session_factory, body, snapshot)  # the worker still thinks it unchanged
    assert gone not in again.unchanged
    assert gone in {row.external_id for row in again.page.valid}


def test_a_duplicate_of_a_sku_stored_before_the_run_is_quarantined_with_its_payload(
    session_factory: sessionmaker[Session], sync: CatalogSync
) -> None:
    first = page_body(0, 20)
    write(session_factory, sync, first)
    index = next(i for i in range(20) if broken_kind_for(SEED, i, BROKEN) is None)
    original = product_json(generate_product(SEED, index, BROKEN, 3))
    copy = {**original, "remoteId": "art-999999", "localId": "copy"}
    copy["variants"] = [
        {**v, "remoteId": f"art-999999-v{n}", "parentRemoteId": "art-999999"}
        for n, v in enumerate(original["variants"])
    ]
    body = page_body(40, 10, copy)

    prepared = both_ways(session_factory, body, {}, seen_skus=set())  # the worker never saw it
    item = next(q for q in prepared.page.quarantined if q.external_id == "art-999999")
    assert {r.code for r in item.reasons} == {"duplicate_sku"}
    assert item.raw_payload["remoteId"] == "art-999999"
    assert item.display_id == original["sku"]


def test_an_admin_override_publishes_what_the_worker_found_broken(
    session_factory: sessionmaker[Session], sync: CatalogSync
) -> None:
    body = page_body(0, 40)
    write(session_factory, sync, body)
    with session_factory.begin() as session:
        entry = quarantine.list_entries(session, record_type=RecordType.PRODUCT)[0]
        quarantine.release(session, entry.id, actor="anna", reason="checked by hand")
        released = entry.external_id
    prepared = both_ways(session_factory, body, {})
    assert released in {row.external_id for row in prepared.page.valid}


def test_the_worker_answers_as_this_process_does_and_a_dead_worker_loses_no_page() -> None:
    bodies = [page_body(start, 25) for start in (0, 25, 50)]
    here_seen: set[str] = set()
    expected = [check_records(parse_product_records(b), {}, here_seen) for b in bodies]

    checker = PageChecker({})
    try:
        assert checker._warm is not None
        checker._warm.result(timeout=60)
        assert checker.in_worker
        first = checker.submit(bodies[0])
        assert checker.result(bodies[0], first) == expected[0]
        second = checker.submit(bodies[1])
        assert checker.result(bodies[1], second) == expected[1]

        assert checker._pool is not None
        for pid in list(checker._pool._processes):  # the worker, killed
            os.kill(pid, signal.SIGKILL)
        third = checker.submit(bodies[2])
        answer = checker.result(bodies[2], third)
        assert [(c.key, c.reasons, c.rows) for c in answer] == [
            (c.key, c.reasons, c.rows) for c in expected[2]
        ]
        assert not checker.in_worker  # the rest of the run checks here
    finally:
        checker.close()


def test_a_check_process_that_cannot_start_leaves_the_checks_here(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from westgear_desk.sync.sharespine import check_process

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError("process creation is not allowed here")

    monkeypatch.setattr(check_process, "ProcessPoolExecutor", no_processes)
    body = page_body(0, 20)
    checker = PageChecker({})
    try:
        assert not checker.in_worker
        answer = checker.result(body, checker.submit(body))
    finally:
        checker.close()
    assert answer == check_records(parse_product_records(body), {}, set())
    assert "could not start" in caplog.text


def test_pages_still_in_the_check_process_when_fetching_ends_are_checked_there(
    hub: Hub, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """Fetching ends before the worker has checked the last pages; it must finish them."""
    client = hub.client()
    sync = CatalogSync(session_factory, client, page_size=PAGE_SIZE, check_process_from=1)
    try:
        pages = sync.pages(None, 0)
        first = next(pages)
        assert isinstance(first, CheckingPage)
        assert first.checker._warm is not None
        first.checker._warm.result(timeout=60)  # the rest go to the worker
        rest = list(pages)  # fetching ends; nothing has read the answers yet
        for page in [first, *rest]:
            assert not page.checked.cancelled()
            records = page.checker.result(page.body, page.checked)
            assert [r.key for r in records] == [
                r.key for r in check_records(parse_product_records(page.body), {}, set())
            ]
    finally:
        client.close()
    assert "failed a page" not in caplog.text
    assert any(p.checked.done() for p in rest)
