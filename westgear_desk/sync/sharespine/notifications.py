"""Inbox processors for Sharespine change notifications, and the log-event job handler.

A notification only says *that* a product's stock or price changed and when; the processor
skips it when the stored version is already as new, otherwise fetches the product and
rewrites just its stock or prices under the same newer-wins guard as the 2-minute flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import pydantic

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import RecordResult, SharespineClient
from westgear_desk.integrations.sharespine.contract import (
    ChangeNotification,
    LogEvent,
    Product,
    RelatedIdMessage,
)
from westgear_desk.sync.inbox_worker import EventIgnored, InboxContext
from westgear_desk.sync.runs import RunCounts
from westgear_desk.sync.sharespine.catalog_mapping import storable_key
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync, apply_page
from westgear_desk.sync.sharespine.catalog_upsert import stored_products
from westgear_desk.sync.sharespine.stock_price import PRICE, STOCK

if TYPE_CHECKING:
    from westgear_desk.sync.flows import FlowEnvironment
    from westgear_desk.sync.jobs import JobContext

log = logging.getLogger(__name__)
#: Inbox event type -> what the notification changed.
EVENT_CHANGES: Final = {"stock_changed": frozenset({STOCK}), "price_changed": frozenset({PRICE})}


def parse_notification(body: Any) -> ChangeNotification:
    """The notification in an inbox body; raises DataError (the event goes dead) when malformed."""
    try:
        return ChangeNotification.model_validate(body)
    except pydantic.ValidationError as exc:
        raise DataError(
            f"sharespine change notification: {describe_validation_error(exc)}",
            system="sharespine",
            error_code="contract_violation",
        ) from exc


def fetch_record(client: SharespineClient, local_id: str) -> RecordResult[Product]:
    """One product as a page record: the model, or the raw body with why it broke the contract."""
    raw = client.request_json("GET", "/api/product/{local_id}", path_params={"local_id": local_id})
    try:
        return RecordResult(Product.model_validate(raw), raw)
    except pydantic.ValidationError as exc:
        return RecordResult(None, raw, describe_validation_error(exc))


def apply_notification(
    sync: CatalogSync, note: ChangeNotification, changes: frozenset[str]
) -> RunCounts:
    """Bring one product's stock or prices up to date; raises EventIgnored for a stale one."""
    if note.record_type != "product":
        raise EventIgnored(f"not a product notification ({note.record_type})")
    key = storable_key(note.remote_id or f"local:{note.local_id}")  # as stored: NUL-safe
    with sync.session_factory() as session:
        stored = stored_products(session, [key]).get(key)
    if stored is not None and stored.modified is not None and stored.modified >= note.last_modified:
        raise EventIgnored(f"{key}: stored version {stored.modified} is not older")
    try:
        record = fetch_record(sync.client, note.local_id)
    except DataError as exc:
        if exc.status_code == 404:
            raise EventIgnored(f"{key}: no longer in Sharespine") from exc
        raise
    return apply_page(sync, [record], None, only=changes)


def change_processor(env: FlowEnvironment) -> Callable[[InboxContext], None]:
    """The inbox processor of `stock_changed` and `price_changed` events."""
    from westgear_desk.sync.sharespine import catalog_sync

    def process(ctx: InboxContext) -> None:
        note = parse_notification(ctx.json())
        changes = EVENT_CHANGES.get(ctx.event_type, frozenset({STOCK, PRICE}))
        sync = catalog_sync(env)
        try:
            counts = apply_notification(sync, note, changes)
        finally:
            sync.client.close()
        log.info("sharespine %s for %s: %s", ctx.event_type, note.remote_id, counts.summary())

    return process


def log_event(payload: dict[str, Any], now: datetime | None = None) -> LogEvent:
    """The hub event that reports one quarantined record with all its reasons."""
    reasons = payload.get("reasons") or []
    codes = ", ".join(str(r.get("code")) for r in reasons)
    external_id = str(payload.get("external_id"))
    return LogEvent(
        severity="Error",
        related_record_type=str(payload.get("record_type", "product")),
        direction="import",
        summary=f"WestGear held back {payload.get('record_type')} {external_id}: {codes}"[:500],
        body=[
            f"{r.get('code')} ({r.get('field') or '-'}): {r.get('message_sv')} / "
            f"{r.get('message_en')}"
            for r in reasons
        ],
        related_id_msgs=[
            RelatedIdMessage(
                id=external_id,
                display_id=payload.get("display_id") or external_id,
                message=codes,
            )
        ],
        time=now or datetime.now(UTC),
    )


def log_event_handler(env: FlowEnvironment) -> Callable[[JobContext], None]:
    """The `sharespine.log_event` job handler: post the quarantine reasons to the hub."""
    from westgear_desk.sync.sharespine import catalog_sync

    def handle(ctx: JobContext) -> None:
        sync = catalog_sync(env)
        try:
            sync.client.post_log_event(log_event(dict(ctx.payload)))
        finally:
            sync.client.close()

    return handle
