"""Customer sync from Sharespine: bulk upserts keyed by the Sharespine id, bad records quarantined.

Entry point (the CLI, the scheduler and tests call it the same way)::

    sync_customers(session_factory, client, *, run_id=None, b2b_owner="sharespine",
                   full=False, page_size=500) -> RunCounts

- Incremental by the `sharespine/customers` cursor (`modifiedAtOrAfter`, inclusive). The
  cursor moves only in the transaction that writes the run's last batch, and only to the
  run's start time less `record_runs.CURSOR_OVERLAP` (never past the start, and a clock skew between
  Sharespine and the desk up to that overlap loses nothing; re-reading is idempotent).
- Each batch is one transaction: rows are written with multi-row INSERT ... RETURNING and
  executemany UPDATEs (never a per-row ORM merge), guarded so an older version never
  overwrites a newer one (`source_modified_at`) and an unchanged one is not written
  (`content_hash`).
- Ownership of B2B customers (`Settings.b2b_customer_owner`): when Fortnox owns them,
  Sharespine never overwrites their master fields — kind, name, org number, VAT number,
  e-mail, phone, language, price list and address. Sharespine then only links its id to the
  customer (found by Sharespine id, or by org number for a customer Fortnox created) and
  records its modification time; a customer nobody knows yet is created from Sharespine's
  copy, marked as owned by Fortnox.
- A customer that breaks a rule (org/VAT number invalid, name missing, schema drift ...) is
  quarantined with every reason and not written; a later valid version releases it.
- A `customer_changed` change notification (inbox) stores just that customer's current
  version through the same path (`customer_change_processor`, registered by orders.py's
  engine hook beside `order_changed`).
Personal data is never logged: logs carry counts and ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

import pydantic
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import AddressKind, CustomerKind, RecordType, SourceSystem
from westgear_desk.db.models.customers import Customer, CustomerAddress, CustomerExternalId
from westgear_desk.db.models.pricing import PriceList
from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import RecordResult, SharespineClient
from westgear_desk.integrations.sharespine.contract import DEFAULT_PAGE_SIZE, ChangeNotification
from westgear_desk.integrations.sharespine.contract import Customer as ContractCustomer
from westgear_desk.sync import quarantine
from westgear_desk.sync.flows import FlowEnvironment
from westgear_desk.sync.inbox_worker import EventIgnored, InboxContext
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.customer_mapping import (
    CustomerRow,
    classify,
    cleaned,
    quarantine_id,
)
from westgear_desk.sync.sharespine.record_runs import (
    INTEGRATION,
    chunks,
    cursor_start,
    is_newer,
    run_in_batches,
    serialize_writers,
    utcnow,
)

if TYPE_CHECKING:
    from westgear_desk.settings import Settings

RESOURCE: Final = "customers"
FORTNOX: Final = "fortnox"
CUSTOMERS = cast(Table, Customer.__table__)
EXTERNAL_IDS = cast(Table, CustomerExternalId.__table__)
ADDRESSES = cast(Table, CustomerAddress.__table__)
PRICE_LISTS = cast(Table, PriceList.__table__)
_log = logging.getLogger(__name__)


# ------------------------------------------------------------------ the flow


@dataclass
class _Plan:
    """What one batch writes, decided before any write."""

    inserts: list[CustomerRow] = field(default_factory=list)
    updates: list[tuple[int, CustomerRow]] = field(default_factory=list)
    links: list[tuple[int, CustomerRow]] = field(default_factory=list)
    unchanged: int = 0


def sync_customers(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    *,
    run_id: int | None = None,
    b2b_owner: str = "sharespine",
    full: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    clock: Callable[[], datetime] = utcnow,
) -> RunCounts:
    """Fetch new and changed customers and store them; return the run's counts.

    `b2b_owner` is `Settings.b2b_customer_owner` ("sharespine" or "fortnox"); `full` ignores
    the cursor. Raises the client's IntegrationError when Sharespine fails (the cursor then
    stays where it was, so the next run fetches the same records again).
    """
    started = clock()
    since = cursor_start(session_factory, RESOURCE, full=full)
    records = client.iter_customers(modified_at_or_after=since, page_size=page_size)
    counts = run_in_batches(
        session_factory,
        records,
        lambda session, batch: store_customers(session, batch, run_id=run_id, b2b_owner=b2b_owner),
        resource=RESOURCE,
        started=started,
        run_id=run_id,
        page_size=page_size,
    )
    _log.info("sharespine customers: %s", counts.summary())
    return counts


def store_customers(
    session: Session,
    batch: Sequence[RecordResult[ContractCustomer]],
    *,
    run_id: int | None,
    b2b_owner: str,
) -> RunCounts:
    """Validate and write one batch of fetched customers in the caller's transaction."""
    serialize_writers(session, f"{INTEGRATION}/{RESOURCE}")
    batch = [cleaned(result) for result in batch]  # no NUL characters reach the database
    keys = [quarantine_id(result) for result in batch]
    overrides = quarantine.overrides_for(session, RecordType.CUSTOMER, keys)
    page = classify(batch, overrides)
    counts = RunCounts(fetched=len(batch), quarantined=len(page.quarantined))
    if page.quarantined:
        quarantine.store(session, page.quarantined, run_id=run_id)
    rows = _latest_per_id(page.rows)
    counts.unchanged += len(page.rows) - len(rows)
    plan = _plan(session, rows)
    counts.unchanged += plan.unchanged
    counts.created = _insert(session, plan.inserts, b2b_owner)
    counts.updated = _update(session, plan.updates, b2b_owner) + _link(
        session, plan.links, b2b_owner
    )
    counts.written = counts.created + counts.updated
    released = quarantine.auto_release(
        session, RecordType.CUSTOMER, [row.external_id for row in rows], run_id=run_id
    )
    counts.released = len(released)
    return counts


def _latest_per_id(rows: Sequence[CustomerRow]) -> list[CustomerRow]:
    latest: dict[str, CustomerRow] = {}
    for row in rows:
        seen = latest.get(row.external_id)
        if seen is None or row.source_modified_at >= seen.source_modified_at:
            latest[row.external_id] = row
    return list(latest.values())


def _plan(session: Session, rows: Sequence[CustomerRow]) -> _Plan:
    by_external = _ids_by_external(session, [row.external_id for row in rows])
    by_org = _ids_by_org_number(
        session, [r.org_number for r in rows if r.external_id not in by_external and r.org_number]
    )
    state = _state(session, [*by_external.values(), *by_org.values()])
    plan = _Plan()
    for row in rows:
        customer_id = by_external.get(row.external_id)
        if customer_id is None and row.kind is CustomerKind.B2B and row.org_number in by_org:
            plan.links.append((by_org[row.org_number or ""], row))
            continue
        if customer_id is None:
            plan.inserts.append(row)
            continue
        stored_time, stored_hash = state[customer_id]
        if is_newer(row.source_modified_at, row.content_hash, stored_time, stored_hash):
            plan.updates.append((customer_id, row))
        else:
            plan.unchanged += 1
    return plan


def _ids_by_external(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    c = EXTERNAL_IDS.c
    for chunk in chunks(external_ids):
        rows = session.execute(
            select(c.external_id, c.customer_id).where(
                c.source_system == SourceSystem.SHARESPINE, c.external_id.in_(chunk)
            )
        )
        found.update({row.external_id: row.customer_id for row in rows})
    return found


def _ids_by_org_number(session: Session, org_numbers: Sequence[str | None]) -> dict[str, int]:
    """B2B customers with these org numbers that Sharespine has not linked yet (oldest first)."""
    wanted = sorted({o for o in org_numbers if o})
    linked = select(EXTERNAL_IDS.c.customer_id).where(
        EXTERNAL_IDS.c.source_system == SourceSystem.SHARESPINE
    )
    found: dict[str, int] = {}
    c = CUSTOMERS.c
    for chunk in chunks(wanted):
        rows = session.execute(
            select(c.org_number, c.id)
            .where(c.kind == CustomerKind.B2B, c.org_number.in_(chunk), c.id.not_in(linked))
            .order_by(c.id.desc())
        )
        found.update({row.org_number: row.id for row in rows})  # the oldest id wins
    return found


def _state(session: Session, ids: Sequence[int]) -> dict[int, tuple[Any, Any]]:
    found: dict[int, tuple[Any, Any]] = {}
    c = CUSTOMERS.c
    for chunk in chunks(ids):
        rows = session.execute(
            select(c.id, c.source_modified_at, c.content_hash).where(c.id.in_(chunk))
        )
        found.update({row.id: (row.source_modified_at, row.content_hash) for row in rows})
    return found


def _owner(row: CustomerRow, b2b_owner: str) -> SourceSystem:
    if row.kind is CustomerKind.B2B and b2b_owner == FORTNOX:
        return SourceSystem.FORTNOX
    return SourceSystem.SHARESPINE


def _price_list_ids(session: Session, rows: Sequence[CustomerRow]) -> dict[str, int]:
    codes = sorted({r.price_list_code for r in rows if r.price_list_code})
    if not codes:
        return {}
    found = session.execute(
        select(PRICE_LISTS.c.code, PRICE_LISTS.c.id).where(PRICE_LISTS.c.code.in_(codes))
    )
    return {row.code: row.id for row in found}


def _insert(session: Session, rows: Sequence[CustomerRow], b2b_owner: str) -> int:
    if not rows:
        return 0
    price_lists = _price_list_ids(session, rows)
    values = [
        {
            **row.master_values(),
            "owner_system": _owner(row, b2b_owner),
            "price_list_id": price_lists.get(row.price_list_code or ""),
            "active": True,
            "source_modified_at": row.source_modified_at,
            "content_hash": row.content_hash,
        }
        for row in rows
    ]
    ids = session.execute(
        insert(CUSTOMERS).returning(CUSTOMERS.c.id, sort_by_parameter_order=True), values
    ).scalars()
    created = list(zip(ids, rows, strict=True))
    _insert_links(session, created)
    _replace_addresses(session, created)
    return len(created)


def _insert_links(session: Session, pairs: Sequence[tuple[int, CustomerRow]]) -> None:
    if pairs:
        session.execute(
            insert(EXTERNAL_IDS),
            [
                {
                    "customer_id": cid,
                    "source_system": SourceSystem.SHARESPINE,
                    "external_id": row.external_id,
                }
                for cid, row in pairs
            ],
        )


def _replace_addresses(session: Session, pairs: Sequence[tuple[int, CustomerRow]]) -> None:
    """The Sharespine address is the customer's default billing address (replaced whole)."""
    ids = [cid for cid, _ in pairs]
    for chunk in chunks(ids):
        session.execute(
            delete(ADDRESSES).where(
                ADDRESSES.c.customer_id.in_(chunk),
                ADDRESSES.c.kind == AddressKind.BILLING,
                ADDRESSES.c.is_default.is_(True),
            )
        )
    values = [
        {"customer_id": cid, "kind": AddressKind.BILLING, "is_default": True, **row.address}
        for cid, row in pairs
        if row.address is not None
    ]
    if values:
        session.execute(insert(ADDRESSES), values)


#: Only a newer version (or the same second with other content) replaces the stored one.
_GUARD = (
    CUSTOMERS.c.source_modified_at.is_(None)
    | (CUSTOMERS.c.source_modified_at < bindparam("b_modified"))
    | (
        (CUSTOMERS.c.source_modified_at == bindparam("b_modified"))
        & CUSTOMERS.c.content_hash.is_distinct_from(bindparam("b_hash"))
    )
)


def _update(session: Session, pairs: Sequence[tuple[int, CustomerRow]], b2b_owner: str) -> int:
    """Write newer versions; a Fortnox-owned customer only gets its bookkeeping updated."""
    owned = [p for p in pairs if _owner(p[1], b2b_owner) is SourceSystem.SHARESPINE]
    foreign = [p for p in pairs if _owner(p[1], b2b_owner) is not SourceSystem.SHARESPINE]
    if owned:
        _overwrite(session, owned)
    if foreign:
        _touch(session, foreign, SourceSystem.FORTNOX)
    return len(pairs)


def _overwrite(session: Session, pairs: Sequence[tuple[int, CustomerRow]]) -> None:
    """Sharespine owns these: master fields, price list and address follow its copy."""
    price_lists = _price_list_ids(session, [row for _, row in pairs])
    master: dict[str, Any] = {n: bindparam(f"b_{n}") for n in pairs[0][1].master_values()}
    stmt = (
        update(CUSTOMERS)
        .where(CUSTOMERS.c.id == bindparam("b_id"), _GUARD)
        .values(
            **master,
            owner_system=SourceSystem.SHARESPINE,
            price_list_id=bindparam("b_price_list_id"),
            source_modified_at=bindparam("b_modified"),
            content_hash=bindparam("b_hash"),
        )
    )
    params = [
        {
            **{f"b_{k}": v for k, v in row.master_values().items()},
            "b_id": cid,
            "b_price_list_id": price_lists.get(row.price_list_code or ""),
            "b_modified": row.source_modified_at,
            "b_hash": row.content_hash,
        }
        for cid, row in pairs
    ]
    session.execute(stmt, params)
    _replace_addresses(session, pairs)


def _touch(session: Session, pairs: Sequence[tuple[int, CustomerRow]], owner: SourceSystem) -> None:
    stmt = (
        update(CUSTOMERS)
        .where(CUSTOMERS.c.id == bindparam("b_id"), _GUARD)
        .values(
            owner_system=owner,
            source_modified_at=bindparam("b_modified"),
            content_hash=bindparam("b_hash"),
        )
    )
    session.execute(
        stmt,
        [
            {"b_id": cid, "b_modified": row.source_modified_at, "b_hash": row.content_hash}
            for cid, row in pairs
        ],
    )


def _link(session: Session, pairs: Sequence[tuple[int, CustomerRow]], b2b_owner: str) -> int:
    """Link Sharespine's id to a B2B customer found by org number, then update by owner rules."""
    _insert_links(session, pairs)
    return _update(session, pairs, b2b_owner)


# ------------------------------------------------------------------ change notifications


def find_customer(
    client: SharespineClient, note: ChangeNotification
) -> RecordResult[ContractCustomer] | None:
    """The notified customer as Sharespine has it now, or None if it is gone.

    Plugboard documents no single-customer GET, so it is looked up among the customers
    changed at or after the notification's time (a later change keeps it in that list).
    """
    wanted = {note.local_id, note.remote_id} - {None}
    for result in client.iter_customers(modified_at_or_after=note.last_modified):
        raw = result.raw if isinstance(result.raw, dict) else {}
        model = result.model
        ids = (
            {model.local_id, model.remote_id}
            if model
            else {raw.get("localId"), raw.get("remoteId")}
        )
        if wanted & ids:
            return result
    return None


def customer_change_processor(env: FlowEnvironment) -> Callable[[InboxContext], None]:
    """Inbox processor of `customer_changed`: store that customer's current version."""
    from westgear_desk.sync.sharespine.client_factory import build_client

    def process(ctx: InboxContext) -> None:
        try:
            note = ChangeNotification.model_validate(ctx.json())
        except pydantic.ValidationError as exc:
            raise DataError(f"customer notification: {describe_validation_error(exc)}") from exc
        settings = cast("Settings", env.settings)
        with build_client(settings, recorder=env.call_recorder) as client:
            record = find_customer(client, note)
        if record is None:
            raise EventIgnored(f"customer {note.local_id} is no longer in Sharespine")
        with ctx.session_factory() as session, session.begin():
            counts = store_customers(
                session, [record], run_id=None, b2b_owner=settings.b2b_customer_owner
            )
        _log.info("sharespine customer_changed %s: %s", note.local_id, counts.summary())

    return process
