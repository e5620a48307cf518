"""Catalog flows: the streamed, resumable full refresh and the incremental sync by cursor.

Full refresh: pages are fetched on a thread while the previous page is written; each page
is one transaction that also advances the resume cursor (`products.full`) and records the
keys it saw (`products.full.seen.<offset>`), so an interrupted refresh resumes at the next
page without duplicates and still knows which products disappeared. At the end, products
no page contained are marked inactive and the incremental cursors move to the refresh's
start. Incremental sync reads `modifiedAtOrAfter` the cursor (inclusive) and moves the
cursor to the run's start time only after every page is stored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from westgear_desk.db.models import SyncCursor
from westgear_desk.errors import IntegrationError
from westgear_desk.integrations.sharespine.contract import PageInfo
from westgear_desk.sync.cursors import advance_cursor, get_cursor
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.scheduler import RunFailedError
from westgear_desk.sync.sharespine.catalog_pages import INTEGRATION, CatalogSync, Stage
from westgear_desk.sync.sharespine.catalog_pipeline import apply_pages
from westgear_desk.sync.sharespine.catalog_upsert import deactivate_missing

FULL_CURSOR: Final = "products.full"
SEEN_PREFIX: Final = "products.full.seen."
CATALOG_CURSOR: Final = "products.catalog"
STOCK_PRICE_CURSOR: Final = "products.stock_price"
INCREMENTAL_CURSORS: Final = (CATALOG_CURSOR, STOCK_PRICE_CURSOR)
#: A refresh interrupted longer ago than this starts over (its seen-list would be stale).
RESUME_WITHIN: Final = timedelta(hours=20)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FullState:
    """Where a full refresh stands: the next offset and when the refresh began."""

    offset: int
    started_at: datetime

    def dump(self) -> str:
        return json.dumps({"offset": self.offset, "started_at": self.started_at.isoformat()})

    @classmethod
    def load(cls, text: str | None) -> FullState | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            started = datetime.fromisoformat(str(data["started_at"]))
            return cls(int(data["offset"]), started.astimezone(UTC))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable full-refresh cursor %r; starting over", text)
            return None


def now_second() -> datetime:
    """Now in UTC, floored to the second (Plugboard's timestamp resolution)."""
    return datetime.now(UTC).replace(microsecond=0)


def _clear_full_state(session: Session) -> None:
    session.execute(
        delete(SyncCursor).where(
            SyncCursor.integration == INTEGRATION,
            (SyncCursor.resource == FULL_CURSOR) | SyncCursor.resource.startswith(SEEN_PREFIX),
        )
    )


def _begin_full(sync: CatalogSync) -> tuple[FullState, bool]:
    with sync.session_factory.begin() as session:
        state = FullState.load(get_cursor(session, INTEGRATION, FULL_CURSOR))
        if state is not None and now_second() - state.started_at <= RESUME_WITHIN:
            return state, True
        _clear_full_state(session)
    return FullState(0, now_second()), False


def full_refresh(sync: CatalogSync, run_id: int | None) -> RunCounts:
    """Refresh the whole catalog (resuming an interrupted refresh); returns the run's counts.

    Raises RunFailedError (with the counts so far) when Sharespine fails part-way; the
    next full refresh resumes after the last stored page.
    """
    state, resumed = _begin_full(sync)
    if resumed:
        log.info("full refresh resumes at offset %d (begun %s)", state.offset, state.started_at)
    total = RunCounts()

    def stage_for(page: PageInfo) -> Stage:
        after = FullState(page.offset + page.count, state.started_at)
        return _stager(run_id, page.offset, after)

    try:
        apply_pages(sync, sync.pages(None, state.offset), run_id, total, stage_for)
    except IntegrationError as exc:
        raise RunFailedError(
            f"full refresh stopped by Sharespine ({exc}); the next one resumes", total
        ) from exc
    total.deactivated = _finish_full(sync, state, run_id)
    return total


def _stager(run_id: int | None, offset: int, after: FullState) -> Stage:
    """Stage the page's seen keys and the resume offset in the page's own transaction."""

    def stage(session: Session, seen: list[str]) -> None:
        advance_cursor(session, INTEGRATION, f"{SEEN_PREFIX}{offset}", "\n".join(seen), run_id)
        advance_cursor(session, INTEGRATION, FULL_CURSOR, after.dump(), run_id)

    return stage


def _finish_full(sync: CatalogSync, state: FullState, run_id: int | None) -> int:
    with sync.session_factory.begin() as session:
        seen: set[str] = set()
        for value in session.scalars(
            select(SyncCursor.value).where(
                SyncCursor.integration == INTEGRATION, SyncCursor.resource.startswith(SEEN_PREFIX)
            )
        ):
            seen.update(filter(None, (value or "").split("\n")))
        gone = deactivate_missing(session, seen, run_id)
        _clear_full_state(session)
        for resource in INCREMENTAL_CURSORS:
            current = _cursor_time(get_cursor(session, INTEGRATION, resource))
            if current is None or current < state.started_at:
                advance_cursor(session, INTEGRATION, resource, state.started_at.isoformat(), run_id)
    return len(gone)


def _cursor_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        log.warning("unreadable sync cursor %r; syncing everything", text)
        return None


def incremental_sync(
    sync: CatalogSync, run_id: int | None, resource: str = CATALOG_CURSOR
) -> RunCounts:
    """Sync every product changed at or after the cursor; the cursor moves to this run's start.

    Raises RunFailedError (with the counts so far) when Sharespine fails; the cursor then
    stays, so the next run fetches the same changes again (writes are idempotent).
    """
    started = now_second()
    with sync.session_factory() as session:
        since = _cursor_time(get_cursor(session, INTEGRATION, resource))
    total = RunCounts()
    try:
        apply_pages(sync, sync.pages(since, 0), run_id, total)
    except IntegrationError as exc:
        raise RunFailedError(f"incremental sync stopped by Sharespine ({exc})", total) from exc
    with sync.session_factory.begin() as session:
        advance_cursor(session, INTEGRATION, resource, started.isoformat(), run_id)
    return total
