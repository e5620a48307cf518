"""Payments (Klarna authorizations) and their captures and refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import PaymentProvider, PaymentStatus, PaymentTransactionKind
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin, now_default
from westgear_desk.db.types import Money, UtcDateTime, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.orders import Order


class Payment(IdMixin, TimestampMixin, Base):
    """A payment of an order at a provider; amounts are running totals.

    The CHECKs keep the totals coherent: never capture more than authorized, never refund
    more than captured.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_order_id"),
        CheckConstraint("authorized_amount >= 0", name="authorized_not_negative"),
        CheckConstraint(
            "captured_amount >= 0 AND captured_amount <= authorized_amount",
            name="captured_within_authorized",
        ),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= captured_amount",
            name="refunded_within_captured",
        ),
    )

    order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider))
    provider_order_id: Mapped[str] = mapped_column(String(200))
    provider_reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    authorized_amount: Mapped[Decimal] = mapped_column(Money())
    captured_amount: Mapped[Decimal] = mapped_column(
        Money(), server_default="0", default=Decimal(0)
    )
    refunded_amount: Mapped[Decimal] = mapped_column(
        Money(), server_default="0", default=Decimal(0)
    )
    authorized_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    authorization_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)

    order: Mapped[Order | None] = relationship(back_populates="payments")
    transactions: Mapped[list[PaymentTransaction]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentTransaction.id"
    )


class PaymentTransaction(IdMixin, Base):
    """One capture or refund, with the idempotency key it was sent with."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        UniqueConstraint("payment_id", "kind", "provider_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id", ondelete="CASCADE"))
    kind: Mapped[PaymentTransactionKind] = mapped_column(str_enum(PaymentTransactionKind))
    amount: Mapped[Decimal] = mapped_column(Money())
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    shipment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("shipments.id", ondelete="SET NULL")
    )
    at: Mapped[dt.datetime] = now_default()

    payment: Mapped[Payment] = relationship(back_populates="transactions")
