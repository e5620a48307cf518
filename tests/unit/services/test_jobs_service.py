"""The jobs service without a database: bulk runs, payload parsing, refusals before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from westgear_desk.db.enums import UserRole
from westgear_desk.errors import KnownError, PermissionDeniedError
from westgear_desk.services import jobs
from westgear_desk.services.auth import CurrentUser
from westgear_desk.sync.job_admin import JobActionError

WAREHOUSE = CurrentUser("lars", "Lars", UserRole.WAREHOUSE)
ADMIN = CurrentUser("anna", "Anna", UserRole.ADMIN)


class NoDatabase:
    """A session factory that fails the test if anything tries to open a session."""

    def __call__(self) -> Any:
        raise AssertionError("the role check must refuse before touching the database")


class Progress:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[int, int, str]] = []
        self.cancel_after = cancel_after

    @property
    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.reports) >= self.cancel_after

    def report(self, done: int, total: int, text: str = "") -> None:
        self.reports.append((done, total, text))


def test_run_bulk_keeps_going_past_known_errors_and_reports_each() -> None:
    def action(item: int) -> None:
        if item == 2:
            raise JobActionError("job 2 is done; only dead jobs can be retried")

    progress = Progress()
    result = jobs.run_bulk([1, 2, 3], action, progress)
    assert result.done == [1, 3]
    assert result.failed == {2: "job 2 is done; only dead jobs can be retried"}
    assert [r[:2] for r in progress.reports] == [(1, 3), (2, 3), (3, 3)]
    assert result.total == 3
    assert not result.cancelled


def test_run_bulk_stops_when_cancelled_and_says_so() -> None:
    seen: list[int] = []
    result = jobs.run_bulk([1, 2, 3, 4], seen.append, Progress(cancel_after=2))
    assert seen == [1, 2]
    assert result.cancelled


def test_run_bulk_lets_unexpected_errors_and_permission_errors_through() -> None:
    def boom(_item: int) -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        jobs.run_bulk([1], boom)

    def denied(_item: int) -> None:
        raise PermissionDeniedError("no")

    with pytest.raises(PermissionDeniedError):
        jobs.run_bulk([1, 2], denied)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: jobs.retry(f, WAREHOUSE, 1, "x"),
        lambda f: jobs.discard(f, WAREHOUSE, 1, "x"),
        lambda f: jobs.retry_many(f, WAREHOUSE, [1, 2], "x"),
        lambda f: jobs.discard_many(f, WAREHOUSE, [1], "x"),
    ],
)
def test_warehouse_is_refused_before_any_database_work(call: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        call(NoDatabase())


def test_parse_payload_accepts_objects_only() -> None:
    assert jobs.parse_payload('{"a": [1, 2], "b": "å"}') == {"a": [1, 2], "b": "å"}
    with pytest.raises(KnownError, match="JSON object"):
        jobs.parse_payload('"just text"')
    with pytest.raises(KnownError, match="rad 2, kolumn 1"):
        jobs.parse_payload('{"a": 1,\n}')
