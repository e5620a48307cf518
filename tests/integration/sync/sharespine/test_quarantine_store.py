"""The quarantine store on PostgreSQL and SQLite: store, refresh, auto-release, admin decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import QuarantineStatus, RecordType
from westgear_desk.db.models import AuditEntry, Job
from westgear_desk.domain.quarantine import Reason
from westgear_desk.sync import quarantine as q

NEG = Reason("negative_stock", "variants.0.stockPerLocation.0.stock", "Negativt lager", "Negative")
GTIN = Reason("invalid_gtin", "variants.0.gtin", "Ogiltig GTIN", "Invalid GTIN")


def _item(external_id: str, *reasons: Reason) -> q.QuarantineItem:
    return q.QuarantineItem(RecordType.PRODUCT, external_id, reasons, {"remoteId": external_id})


def test_store_refresh_and_report_once_per_reason_set(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        first = q.store(session, [_item("art-1", NEG)], run_id=None)
    with session_factory.begin() as session:
        again = q.store(session, [_item("art-1", NEG)], run_id=None)
    with session_factory.begin() as session:
        changed = q.store(session, [_item("art-1", NEG, GTIN)], run_id=None)
    assert (first.new, again.refreshed, changed.refreshed) == (1, 1, 1)
    assert (first.reported, again.reported, changed.reported) == (1, 0, 1)
    with session_factory() as session:
        entry = q.find_entry(session, RecordType.PRODUCT, "art-1")
        jobs = session.scalars(select(Job).where(Job.kind == q.LOG_EVENT_JOB)).all()
    assert entry is not None
    assert entry.status == "open"
    assert [r.code for r in entry.reasons] == ["negative_stock", "invalid_gtin"]
    assert entry.last_seen_at >= entry.first_seen_at
    assert len(jobs) == 2


def test_auto_release_is_audited_as_system_and_reopens(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        q.store(session, [_item("art-2", NEG), _item("art-3", GTIN)], run_id=None)
    with session_factory.begin() as session:
        released = q.auto_release(session, RecordType.PRODUCT, ["art-2", "art-9"], run_id=None)
    assert released == ["art-2"]
    with session_factory.begin() as session:
        reopened = q.store(session, [_item("art-2", NEG)], run_id=None)
    assert reopened.reopened == 1
    assert reopened.reported == 1
    with session_factory() as session:
        audits = session.scalars(select(AuditEntry)).all()
        entry = q.find_entry(session, RecordType.PRODUCT, "art-2")
    assert [(a.username, a.action) for a in audits] == [("system", "quarantine.auto_release")]
    assert entry is not None
    assert entry.status == "open"
    assert entry.resolved_at is None


def test_admin_decisions_need_a_reason_and_are_audited(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        q.store(session, [_item("art-4", NEG, GTIN), _item("art-5", NEG)], run_id=None)
        ids = {v.external_id: v.id for v in q.list_entries(session)}
    with session_factory.begin() as session, pytest.raises(ValueError, match="reason"):
        q.ignore(session, ids["art-5"], actor="anna", reason="  ")
    with session_factory.begin() as session:
        partly = q.override_reason(
            session, ids["art-4"], "invalid_gtin", actor="anna", reason="GTIN checked by hand"
        )
        assert partly.status == "open"
        assert partly.overridden_reasons == ["invalid_gtin"]
        done = q.override_reason(
            session, ids["art-4"], "negative_stock", actor="anna", reason="stock recounted"
        )
        ignored = q.ignore(session, ids["art-5"], actor="anna", reason="discontinued")
    assert done.status == "released"
    assert done.resolved_by == "anna"
    assert ignored.status == "ignored"
    with session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        overrides = q.overrides_for(session, RecordType.PRODUCT, ["art-4", "art-5"])
        assert q.list_entries(session) == []
        assert len(q.list_entries(session, status=QuarantineStatus.IGNORED)) == 1
    assert actions == ["quarantine.override", "quarantine.override", "quarantine.ignore"]
    assert overrides == {"art-4": frozenset({"invalid_gtin", "negative_stock"})}
    with session_factory.begin() as session:
        again = q.store(session, [_item("art-5", NEG)], run_id=None)
    assert again.refreshed == 1
    assert again.reported == 0
