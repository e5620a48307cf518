"""Invoices and credit notes, mirrored to Fortnox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import InvoiceKind, InvoiceStatus
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin
from westgear_desk.db.types import Money, UtcDateTime, str_enum


class Invoice(IdMixin, TimestampMixin, Base):
    """An invoice or a credit note (`kind`); a credit note names the invoice it credits.

    `external_reference` is our own unique reference, sent to Fortnox so a retry can find
    an invoice that was created before a timeout instead of creating it twice.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("kind", "fortnox_document_number"),
        CheckConstraint(
            "kind = 'credit_note' OR credited_invoice_id IS NULL",
            name="only_credit_notes_credit",
        ),
    )

    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind))
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus),
        server_default=InvoiceStatus.PENDING.value,
        default=InvoiceStatus.PENDING,
    )
    order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    credited_invoice_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    external_reference: Mapped[str] = mapped_column(String(64), unique=True)
    fortnox_document_number: Mapped[str | None] = mapped_column(String(32))
    ocr: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    total_excl_vat: Mapped[Decimal] = mapped_column(Money())
    total_vat: Mapped[Decimal] = mapped_column(Money())
    total_incl_vat: Mapped[Decimal] = mapped_column(Money())
    invoice_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    booked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)

    credited_invoice: Mapped[Invoice | None] = relationship(remote_side="Invoice.id")
