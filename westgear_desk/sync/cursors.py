"""Sync cursors (bookmarks) per integration and resource, moved only with the data they cover.

A cursor says "everything up to here is stored". If it were committed apart from the data, a
crash between the two commits would either skip records (cursor first) or, at best, fetch
them twice. So `advance_cursor` only *stages* the change in the caller's session: it becomes
durable in the very commit that stores the fetched records, and a rollback undoes both.

    with unit_of_work(factory) as session:
        upsert_products(session, page.items)
        advance_cursor(session, "sharespine", "products", page.next_cursor, ctx.run_id)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from westgear_desk.db.models.runs import SyncCursor
from westgear_desk.sync.runs import insert_for


def get_cursor(session: Session, integration: str, resource: str) -> str | None:
    """Return the stored cursor of `integration`/`resource`, or None if never advanced."""
    stmt = select(SyncCursor.value).where(
        SyncCursor.integration == integration, SyncCursor.resource == resource
    )
    return session.execute(stmt).scalar_one_or_none()


def advance_cursor(
    session: Session, integration: str, resource: str, value: str, run_id: int | None
) -> None:
    """Stage the cursor of `integration`/`resource` at `value` in the caller's transaction.

    Never commits: call it inside the transaction that writes the data the cursor covers.
    The value is opaque text (a timestamp, an id or a page token), replaced as given.
    """
    if not integration or not resource:
        raise ValueError("a cursor needs an integration and a resource")
    stmt = insert_for(session, SyncCursor).values(
        integration=integration, resource=resource, value=value, run_id=run_id
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["integration", "resource"],
        set_={"value": value, "run_id": run_id, "updated_at": func.now()},
    )
    session.execute(stmt)
