"""Read models for one order: its detail (lines, customer, addresses, payments) and a timeline of
everything that happened to it across systems, joined by the order's correlation id.

The timeline merges the order's own arrival and updates from its source, quarantine notices
about it, inbox events, jobs and each of their attempts, API calls and audit entries into one
list, newest first, each entry saying which system and how it ended.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from westgear_desk.db.enums import OrderStatus, QuarantineStatus, RecordType
from westgear_desk.db.models import (
    ApiCall,
    AuditEntry,
    Customer,
    InboxEvent,
    Job,
    JobAttempt,
    Order,
    OrderLine,
    Payment,
    QuarantineEntry,
)

TIMELINE_LIMIT: Final = 500
_ADDRESS_KEYS: Final = (
    ("name", "full_name"),
    ("company",),
    ("street", "address1", "address", "street1", "line1"),
    ("street2", "address2", "line2"),
    ("postal_code", "zip", "zipcode", "postcode"),
    ("city",),
    ("country_code", "country"),
)


class Outcome(enum.StrEnum):
    """How a timeline entry ended, for its colour and icon."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    INFO = "info"


class EntryKind(enum.StrEnum):
    SYNC = "sync"
    QUARANTINE = "quarantine"
    INBOX = "inbox"
    JOB = "job"
    ATTEMPT = "attempt"
    API_CALL = "api_call"
    AUDIT = "audit"


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened, in any system."""

    at: dt.datetime
    system: str
    kind: EntryKind
    title: str
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class OrderLineRow:
    line_no: int
    sku: str
    name: str
    quantity: Decimal
    quantity_shipped: Decimal
    unit_price_excl_vat: Decimal
    vat_rate: Decimal
    line_total_excl_vat: Decimal


@dataclass(frozen=True)
class PaymentRow:
    provider: str
    status: str
    currency: str
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    authorization_expires_at: dt.datetime | None


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    kind: str
    email: str | None
    phone: str | None
    org_number: str | None


@dataclass(frozen=True)
class OrderDetail:
    """Everything the detail pane shows about one order (addresses as display lines)."""

    id: int
    order_number: str
    source_system: str
    remote_id: str
    channel: str | None
    status: OrderStatus
    source_status: str | None
    payment_method: str | None
    placed_at: dt.datetime
    currency: str
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    shipping_amount: Decimal
    email: str | None
    phone: str | None
    correlation_id: str | None
    customer: CustomerInfo | None
    billing_address: list[str]
    shipping_address: list[str]
    lines: list[OrderLineRow]
    payments: list[PaymentRow]


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """A stored address snapshot as display lines, whatever key names the source used."""
    if not address:
        return []
    picked = [_first(address, names) for names in _ADDRESS_KEYS]
    name, company, street, street2, postal, city, country = picked
    lines = [part for part in (name, company, street, street2) if part]
    town = " ".join(part for part in (postal, city) if part)
    lines.extend(part for part in (town, country) if part)
    return lines


def _first(address: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = address.get(name)
        if value not in (None, ""):
            return str(value).strip()
    if names == ("name", "full_name"):
        return f"{address.get('first_name') or ''} {address.get('last_name') or ''}".strip()
    return ""


def order_detail(session: Session, order_id: int) -> OrderDetail | None:
    """Return the detail of one order, or None if it does not exist."""
    order = session.get(Order, order_id)
    if order is None:
        return None
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
    )
    payments = session.scalars(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
    )
    return OrderDetail(
        id=order.id,
        order_number=order.order_number,
        source_system=str(order.source_system),
        remote_id=order.remote_id,
        channel=order.channel,
        status=OrderStatus(order.status),
        source_status=order.source_status,
        payment_method=order.payment_method,
        placed_at=order.placed_at,
        currency=order.currency,
        total_excl_vat=order.total_excl_vat,
        total_vat=order.total_vat,
        total_incl_vat=order.total_incl_vat,
        shipping_amount=order.shipping_amount,
        email=order.email,
        phone=order.phone,
        correlation_id=order.correlation_id,
        customer=_customer_info(customer),
        billing_address=address_lines(order.billing_address),
        shipping_address=address_lines(order.shipping_address),
        lines=[_line_row(line) for line in lines],
        payments=[_payment_row(payment) for payment in payments],
    )


def _customer_info(customer: Customer | None) -> CustomerInfo | None:
    if customer is None:
        return None
    return CustomerInfo(
        customer.name, str(customer.kind), customer.email, customer.phone, customer.org_number
    )


def _line_row(line: OrderLine) -> OrderLineRow:
    return OrderLineRow(
        line.line_no,
        line.sku,
        line.name,
        line.quantity,
        line.quantity_shipped,
        line.unit_price_excl_vat,
        line.vat_rate,
        line.line_total_excl_vat,
    )


def _payment_row(payment: Payment) -> PaymentRow:
    return PaymentRow(
        str(payment.provider),
        str(payment.status),
        payment.currency,
        payment.authorized_amount,
        payment.captured_amount,
        payment.refunded_amount,
        payment.authorization_expires_at,
    )


def order_timeline(session: Session, order_id: int) -> list[TimelineEntry]:
    """Everything recorded about the order across systems, newest first."""
    order = session.get(Order, order_id)
    if order is None:
        return []
    cid = order.correlation_id
    entries = _arrival_entries(order) + _quarantine_entries(session, order)
    entries += _audit_entries(session, order, cid)
    if cid:
        entries += _inbox_entries(session, cid)
        entries += _job_entries(session, cid)
        entries += _api_entries(session, cid)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:TIMELINE_LIMIT]


def _arrival_entries(order: Order) -> list[TimelineEntry]:
    source = str(order.source_system)
    entries = [
        TimelineEntry(
            order.created_at,
            source,
            EntryKind.SYNC,
            f"order {order.order_number} stored ({order.source_status or order.status})",
            Outcome.OK,
            f"remote id {order.remote_id}",
        )
    ]
    if order.updated_at > order.created_at + dt.timedelta(seconds=1):
        entries.append(
            TimelineEntry(
                order.updated_at,
                source,
                EntryKind.SYNC,
                f"order updated ({order.source_status or order.status})",
                Outcome.OK,
            )
        )
    return entries


def _quarantine_entries(session: Session, order: Order) -> list[TimelineEntry]:
    rows = session.scalars(
        select(QuarantineEntry).where(
            QuarantineEntry.record_type == RecordType.ORDER,
            QuarantineEntry.source_system == order.source_system,
            QuarantineEntry.external_id == order.remote_id,
        )
    )
    entries = []
    for row in rows:
        reasons = "; ".join(
            str(reason.get("message_en") or reason.get("code") or "") for reason in row.reasons
        )
        outcome = Outcome.OK if row.status != QuarantineStatus.OPEN else Outcome.WARNING
        entries.append(
            TimelineEntry(
                row.first_seen_at,
                str(row.source_system),
                EntryKind.QUARANTINE,
                f"quarantine: {row.status}",
                outcome,
                reasons,
            )
        )
    return entries


def _audit_entries(session: Session, order: Order, cid: str | None) -> list[TimelineEntry]:
    target = (AuditEntry.target_type == "order") & AuditEntry.target_id.in_(
        [str(order.id), order.order_number]
    )
    condition = or_(target, AuditEntry.correlation_id == cid) if cid else target
    rows = session.scalars(select(AuditEntry).where(condition).limit(TIMELINE_LIMIT))
    return [
        TimelineEntry(
            row.at,
            "desk",
            EntryKind.AUDIT,
            f"{row.action} ({row.username})",
            Outcome.INFO,
            row.reason or "",
        )
        for row in rows
    ]


def _inbox_entries(session: Session, cid: str) -> list[TimelineEntry]:
    rows = session.scalars(
        select(InboxEvent).where(InboxEvent.correlation_id == cid).limit(TIMELINE_LIMIT)
    )
    outcome = {"processed": Outcome.OK, "ignored": Outcome.INFO, "dead": Outcome.ERROR}
    return [
        TimelineEntry(
            row.received_at,
            row.source,
            EntryKind.INBOX,
            f"{row.event_type}: {row.status}",
            outcome.get(str(row.status), Outcome.WARNING if row.last_error else Outcome.INFO),
            row.last_error or ("" if row.signature_ok else "signature not verified"),
        )
        for row in rows
    ]


def _job_entries(session: Session, cid: str) -> list[TimelineEntry]:
    jobs = list(session.scalars(select(Job).where(Job.correlation_id == cid).limit(100)))
    if not jobs:
        return []
    by_id = {job.id: job for job in jobs}
    entries = [
        TimelineEntry(
            job.created_at,
            _system_of(job.kind),
            EntryKind.JOB,
            f"{job.kind}: {job.status}",
            _job_outcome(str(job.status)),
            job.last_error or "",
        )
        for job in jobs
    ]
    attempts = session.scalars(select(JobAttempt).where(JobAttempt.job_id.in_(list(by_id))))
    entries.extend(_attempt_entry(attempt, by_id[attempt.job_id]) for attempt in attempts)
    return entries


def _attempt_entry(attempt: JobAttempt, job: Job) -> TimelineEntry:
    outcome = {"succeeded": Outcome.OK, "retry": Outcome.WARNING, "dead": Outcome.ERROR}
    facts = [
        f"HTTP {attempt.http_status}" if attempt.http_status else "",
        f"request id {attempt.request_id}" if attempt.request_id else "",
        f"{attempt.latency_ms} ms" if attempt.latency_ms is not None else "",
        f"{attempt.error_class}: {attempt.message}" if attempt.error_class else "",
    ]
    return TimelineEntry(
        attempt.finished_at or attempt.started_at,
        _system_of(job.kind),
        EntryKind.ATTEMPT,
        f"{job.kind} #{attempt.attempt_no}: {attempt.outcome or 'running'}",
        outcome.get(str(attempt.outcome), Outcome.INFO),
        " · ".join(fact for fact in facts if fact),
    )


def _api_entries(session: Session, cid: str) -> list[TimelineEntry]:
    rows = session.scalars(
        select(ApiCall).where(ApiCall.correlation_id == cid).limit(TIMELINE_LIMIT)
    )
    return [
        TimelineEntry(
            row.at,
            row.system,
            EntryKind.API_CALL,
            f"{row.method} {row.endpoint} → {row.status_code or 'no answer'}",
            _http_outcome(row.status_code),
            " · ".join(
                part
                for part in (f"{row.latency_ms} ms", row.request_id or "", row.error_code or "")
                if part
            ),
        )
        for row in rows
    ]


def _system_of(kind: str) -> str:
    return kind.split(".", 1)[0] if "." in kind else kind


def _job_outcome(status: str) -> Outcome:
    return {"done": Outcome.OK, "dead": Outcome.ERROR, "discarded": Outcome.WARNING}.get(
        status, Outcome.INFO
    )


def _http_outcome(status: int | None) -> Outcome:
    if status is None or status >= 500:
        return Outcome.ERROR
    return Outcome.WARNING if status >= 400 else Outcome.OK
