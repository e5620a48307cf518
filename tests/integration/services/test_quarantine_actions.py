"""Quarantine actions against a real database: state changes, audit rows, role refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import seed_quarantine
from westgear_desk.db.enums import QuarantineStatus, UserRole
from westgear_desk.db.models import AuditEntry, QuarantineEntry
from westgear_desk.db.queries_admin import QuarantineQuery, quarantine_detail, quarantine_ids
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import quarantine
from westgear_desk.services.auth import CurrentUser

ADMIN = CurrentUser("anna", "Anna Admin", UserRole.ADMIN)
WAREHOUSE = CurrentUser("lars", "Lars Lager", UserRole.WAREHOUSE)
SALES = CurrentUser("sara", "Sara Sälj", UserRole.SALES)


@pytest.fixture
def entries(session_factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(session_factory) as session:
        return seed_quarantine(session)


def _entry(factory: sessionmaker[Session], entry_id: int) -> QuarantineEntry:
    with factory() as session:
        entry = session.get(QuarantineEntry, entry_id)
        assert entry is not None
        return entry


def _audits(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_release_marks_released_and_audits_who_and_why(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    quarantine.release(session_factory, ADMIN, entries[0], "Priset rättat i Sharespine")

    entry = _entry(session_factory, entries[0])
    assert entry.status == QuarantineStatus.RELEASED
    assert entry.resolved_by == "anna"
    assert set(entry.overridden_reasons) == {"negative_price", "missing_ean"}
    [row] = _audits(session_factory)
    assert (row.username, row.action, row.target_type, row.target_id) == (
        "anna",
        "quarantine.release",
        "quarantine",
        str(entries[0]),
    )
    assert row.reason == "Priset rättat i Sharespine"
    assert row.details["external_id"] == "Q-1"
    with session_factory() as session:
        assert entries[0] not in quarantine_ids(session, QuarantineQuery())
        detail = quarantine_detail(session, entries[0])
    assert detail is not None
    assert [h.action for h in detail.history] == ["quarantine.release"]


def test_warehouse_user_cannot_release_even_without_the_ui(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    with pytest.raises(PermissionDeniedError):
        quarantine.release(session_factory, WAREHOUSE, entries[0], "försöker")
    with pytest.raises(PermissionDeniedError):
        quarantine.release_many(session_factory, WAREHOUSE, entries, "försöker")
    with pytest.raises(PermissionDeniedError):
        quarantine.ignore(session_factory, SALES, entries[0], "försöker")

    assert _entry(session_factory, entries[0]).status == QuarantineStatus.OPEN
    assert _audits(session_factory) == []


def test_override_one_reason_keeps_open_until_the_last(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    first = quarantine.override_reason(
        session_factory, ADMIN, entries[0], "missing_ean", "EAN behövs inte för reservdel"
    )
    assert first is False
    assert _entry(session_factory, entries[0]).status == QuarantineStatus.OPEN

    last = quarantine.override_reason(
        session_factory, ADMIN, entries[0], "negative_price", "Kreditpost, avsiktligt"
    )
    assert last is True
    assert _entry(session_factory, entries[0]).status == QuarantineStatus.RELEASED
    assert [a.action for a in _audits(session_factory)] == ["quarantine.override"] * 2


def test_actions_need_a_reason_and_an_open_entry(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    with pytest.raises(quarantine.QuarantineActionError, match="anledning"):
        quarantine.release(session_factory, ADMIN, entries[0], "   ")
    with pytest.raises(quarantine.QuarantineActionError, match="no reason 'nope'"):
        quarantine.override_reason(session_factory, ADMIN, entries[0], "nope", "finns ej")
    with pytest.raises(quarantine.QuarantineActionError, match="does not exist"):
        quarantine.release(session_factory, ADMIN, 999_999, "saknas")


def test_bulk_release_continues_past_a_failure_and_reports_progress(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    entries = [entries[0], 999_999, entries[2]]
    reports: list[tuple[int, int]] = []

    class Progress:
        cancelled = False

        def report(self, done: int, total: int, text: str = "") -> None:
            reports.append((done, total))

    result = quarantine.release_many(
        session_factory, ADMIN, entries, "Massfrisläppning", Progress()
    )
    assert result.done == [entries[0], entries[2]]
    assert list(result.failed) == [999_999]
    assert reports == [(1, 3), (2, 3), (3, 3)]


def test_bulk_stops_when_cancelled(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    class CancelAfterOne:
        done = 0

        @property
        def cancelled(self) -> bool:
            return self.done >= 1

        def report(self, done: int, total: int, text: str = "") -> None:
            self.done = done

    result = quarantine.release_many(session_factory, ADMIN, entries, "stopp", CancelAfterOne())
    assert result.cancelled
    assert result.done == [entries[0]]
    assert _entry(session_factory, entries[1]).status == QuarantineStatus.OPEN


def test_refetch_calls_the_registered_callback_and_audits(
    session_factory: sessionmaker[Session], entries: list[int]
) -> None:
    seen: list[quarantine.QuarantineRef] = []

    def refetch(ref: quarantine.QuarantineRef) -> str:
        seen.append(ref)
        return "still broken"

    registry = quarantine.RefetchRegistry()
    registry.register("sharespine", refetch)
    outcome = quarantine.refetch(session_factory, registry, SALES, entries[0], "kolla igen")

    assert outcome == "still broken"
    assert [(r.entry_id, r.external_id, r.record_type) for r in seen] == [
        (entries[0], "Q-1", "product")
    ]
    [row] = _audits(session_factory)
    assert row.action == "quarantine.refetch"
    assert row.details["outcome"] == "still broken"
    with pytest.raises(quarantine.QuarantineActionError, match="not available"):
        quarantine.refetch(session_factory, quarantine.RefetchRegistry(), ADMIN, entries[0])
    with pytest.raises(PermissionDeniedError):
        quarantine.refetch(session_factory, registry, WAREHOUSE, entries[0])
