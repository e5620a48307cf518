"""Run records, cursors that move only with their data, and the `runs` command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.cli import main
from westgear_desk.db.enums import SyncRunStatus
from westgear_desk.db.models import Brand, SyncCursor, SyncRun
from westgear_desk.db.session import unit_of_work
from westgear_desk.sync.cursors import advance_cursor, get_cursor
from westgear_desk.sync.runs import (
    RunCounts,
    claim_slot,
    finish_run,
    interrupt_runs,
    list_runs,
    start_manual_run,
)

SLOT = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


def test_claiming_a_slot_twice_gives_one_run(session_factory: sessionmaker[Session]) -> None:
    first = claim_slot(session_factory, schedule="catalog", slot_at=SLOT, desk_id="a")
    second = claim_slot(session_factory, schedule="catalog", slot_at=SLOT, desk_id="b")
    other_slot = claim_slot(
        session_factory, schedule="catalog", slot_at=SLOT + dt.timedelta(minutes=15), desk_id="b"
    )
    other_schedule = claim_slot(session_factory, schedule="orders", slot_at=SLOT, desk_id="b")
    assert first is not None
    assert second is None
    assert other_slot is not None
    assert other_schedule is not None
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 3


def test_finish_records_outcome_counts_and_redacted_error(
    session_factory: sessionmaker[Session],
) -> None:
    run_id = claim_slot(session_factory, schedule="orders", slot_at=SLOT, desk_id="a")
    assert run_id is not None
    counts = RunCounts(fetched=5, created=2, updated=1, unchanged=1, quarantined=1, failed=1)
    finish_run(
        session_factory,
        run_id,
        status=SyncRunStatus.FAILED,
        counts=counts,
        error=RuntimeError("rejected order for 070-123 45 67, Authorization: Bearer abc.def.ghi"),
    )
    with session_factory() as session:
        [view] = list_runs(session)
    assert view.status == "failed"
    assert view.counts == counts
    assert view.duration_s is not None
    assert view.duration_s >= 0
    assert view.error_summary is not None
    assert "070-123 45 67" not in view.error_summary
    assert "abc.def.ghi" not in view.error_summary


def test_interrupt_only_touches_running_runs_that_match(
    session_factory: sessionmaker[Session],
) -> None:
    done = claim_slot(session_factory, schedule="catalog", slot_at=SLOT, desk_id="a")
    assert done is not None
    finish_run(session_factory, done, status=SyncRunStatus.SUCCEEDED, counts=RunCounts())
    dangling = claim_slot(
        session_factory, schedule="catalog", slot_at=SLOT + dt.timedelta(hours=1), desk_id="a"
    )
    mine = start_manual_run(session_factory, schedule="catalog", desk_id="me")
    other = claim_slot(session_factory, schedule="orders", slot_at=SLOT, desk_id="a")
    with unit_of_work(session_factory) as session:
        assert interrupt_runs(session, schedule="catalog", exclude_ids=[mine]) == 1
    with session_factory() as session:
        status = {row.id: row.status for row in session.execute(select(SyncRun.id, SyncRun.status))}
    assert status[done] == SyncRunStatus.SUCCEEDED
    assert status[dangling] == SyncRunStatus.INTERRUPTED
    assert status[mine] == SyncRunStatus.RUNNING
    assert status[other] == SyncRunStatus.RUNNING


def test_cursor_advances_with_the_data_it_covers(session_factory: sessionmaker[Session]) -> None:
    run_id = claim_slot(session_factory, schedule="catalog", slot_at=SLOT, desk_id="a")
    with session_factory() as session:
        assert get_cursor(session, "sharespine", "products") is None
    with unit_of_work(session_factory) as session:
        session.add(Brand(name="Baltic"))
        advance_cursor(session, "sharespine", "products", "2026-11-29T08:00:00Z", run_id)
    with session_factory() as session:
        assert get_cursor(session, "sharespine", "products") == "2026-11-29T08:00:00Z"
        cursor = session.scalars(select(SyncCursor)).one()
        assert cursor.run_id == run_id


def _store_batch_with_duplicate(factory: sessionmaker[Session], cursor: str) -> None:
    with unit_of_work(factory) as session:
        advance_cursor(session, "sharespine", "products", cursor, None)
        session.add(Brand(name="Baltic"))  # the batch fails: duplicate brand
        session.flush()


def test_a_rolled_back_batch_leaves_the_cursor_where_it_was(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        session.add(Brand(name="Baltic"))
        advance_cursor(session, "sharespine", "products", "page-1", None)
    with pytest.raises(IntegrityError):
        _store_batch_with_duplicate(session_factory, cursor="page-2")
    with session_factory() as session:
        assert get_cursor(session, "sharespine", "products") == "page-1"
        assert session.scalar(select(func.count()).select_from(Brand)) == 1
        assert session.scalar(select(func.count()).select_from(SyncCursor)) == 1


def test_cursors_are_kept_per_integration_and_resource(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        advance_cursor(session, "sharespine", "products", "p1", None)
        advance_cursor(session, "sharespine", "orders", "o1", None)
        advance_cursor(session, "fortnox", "products", "f1", None)
        advance_cursor(session, "sharespine", "products", "p2", None)
    with session_factory() as session:
        assert get_cursor(session, "sharespine", "products") == "p2"
        assert get_cursor(session, "sharespine", "orders") == "o1"
        assert get_cursor(session, "fortnox", "products") == "f1"
        with pytest.raises(ValueError):
            advance_cursor(session, "", "products", "x", None)


def _seed_runs(factory: sessionmaker[Session]) -> None:
    for minute, schedule in [(0, "catalog"), (15, "catalog"), (5, "orders")]:
        run_id = claim_slot(
            factory,
            schedule=schedule,
            slot_at=SLOT + dt.timedelta(minutes=minute),
            desk_id="desk-1",
        )
        assert run_id is not None
        finish_run(
            factory, run_id, status=SyncRunStatus.SUCCEEDED, counts=RunCounts(fetched=minute)
        )


def test_runs_command_json(
    db_url: str, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_runs(session_factory)
    assert main(["--database-url", db_url, "runs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3
    assert {r["schedule"] for r in rows} == {"catalog", "orders"}
    assert (
        main(["--database-url", db_url, "runs", "--schedule", "catalog", "--limit", "1", "--json"])
        == 0
    )
    [row] = json.loads(capsys.readouterr().out)
    assert row["schedule"] == "catalog"
    assert row["status"] == "succeeded"
    assert row["counts"]["fetched"] in {0, 15}
    assert row["run_key"].startswith("catalog@2026-11-29T08:")


def test_runs_command_table(
    db_url: str, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database-url", db_url, "runs"]) == 0
    assert "no runs yet" in capsys.readouterr().out
    _seed_runs(session_factory)
    assert main(["--database-url", db_url, "runs", "--schedule", "orders"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "schedule", "slot", "(UTC)"]
    assert len(lines) == 2
    assert "orders" in lines[1]
    assert "2026-11-29 08:05:00" in lines[1]
    assert "fetched=5" in lines[1]


def test_runs_command_refuses_an_unmigrated_database(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database-url", sqlite_url, "runs"]) == 2
    assert "error" in capsys.readouterr().err
