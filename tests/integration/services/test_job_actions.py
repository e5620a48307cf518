"""Dead-job actions against a real database: retry (edited or not), discard, bulk, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.services.desk_seed import seed_dead_jobs
from westgear_desk.db.enums import JobStatus, UserRole
from westgear_desk.db.models import AuditEntry, Job
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import jobs
from westgear_desk.services.auth import CurrentUser
from westgear_desk.sync.job_admin import JobActionError

ADMIN = CurrentUser("anna", "Anna Admin", UserRole.ADMIN)
SALES = CurrentUser("sara", "Sara Sälj", UserRole.SALES)


@pytest.fixture
def dead(session_factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(session_factory) as session:
        return seed_dead_jobs(session)


def _job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_dead_jobs_lists_only_dead_with_history(
    session_factory: sessionmaker[Session], dead: list[int]
) -> None:
    rows = jobs.dead_jobs(session_factory)
    assert sorted(r.id for r in rows) == sorted(dead)
    assert {r.integration for r in rows} == {"klarna"}
    assert jobs.dead_jobs(session_factory, integration="fortnox") == []
    detail = jobs.job_detail(session_factory, dead[0])
    assert [a.request_id for a in detail.history] == ["req-0-1", "req-0-2", "req-0-3"]
    assert {a.http_status for a in detail.history} == {503}


def test_retry_with_edited_payload_makes_it_due_and_audits(
    session_factory: sessionmaker[Session], dead: list[int]
) -> None:
    payload = jobs.parse_payload('{"order_id": "KL-0", "amount": 19990}')
    jobs.retry(session_factory, ADMIN, dead[0], "Belopp rättat", payload=payload)

    job = _job(session_factory, dead[0])
    assert job.status == JobStatus.PENDING
    assert job.payload["amount"] == 19990
    with session_factory() as session:
        [row] = session.scalars(select(AuditEntry))
    assert (row.username, row.action, row.reason) == ("anna", "job.retry", "Belopp rättat")
    assert row.details["payload_changed_fields"] == ["amount"]


def test_sales_cannot_retry_or_discard(
    session_factory: sessionmaker[Session], dead: list[int]
) -> None:
    with pytest.raises(PermissionDeniedError):
        jobs.retry(session_factory, SALES, dead[0], "nej")
    with pytest.raises(PermissionDeniedError):
        jobs.discard_many(session_factory, SALES, dead, "nej")
    assert _job(session_factory, dead[0]).status == JobStatus.DEAD


def test_bulk_discard_and_a_second_discard_fails_per_job(
    session_factory: sessionmaker[Session], dead: list[int]
) -> None:
    result = jobs.discard_many(session_factory, ADMIN, dead, "Order annullerad")
    assert result.done == dead
    assert not result.failed
    again = jobs.retry_many(session_factory, ADMIN, [*dead, 999_999], "Försök igen")
    assert again.done == dead
    assert list(again.failed) == [999_999]


@pytest.mark.parametrize(
    ("text", "message"),
    [("{bad json", "line 1, column 2"), ("[1, 2]", "JSON object"), ("", "line 1")],
)
def test_parse_payload_refuses_what_is_not_a_json_object(text: str, message: str) -> None:
    with pytest.raises(JobActionError, match=message):
        jobs.parse_payload(text)
