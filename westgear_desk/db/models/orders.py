"""Orders from the shop channels (via Sharespine) or from accepted quotes, and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import OrderStatus, SourceSystem
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin
from westgear_desk.db.types import JSONDoc, Money, Quantity, UtcDateTime, VatRate, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.customers import Customer
    from westgear_desk.db.models.fulfilment import Shipment
    from westgear_desk.db.models.payments import Payment


class Order(IdMixin, TimestampMixin, Base):
    """An order. `remote_id` is the id in `source_system` (unique there); `local_id` is
    Sharespine's own id. Addresses are a snapshot taken when the order was placed.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("source_system", "remote_id"),
        CheckConstraint("total_incl_vat >= 0", name="total_not_negative"),
    )

    order_number: Mapped[str] = mapped_column(String(64), index=True)
    source_system: Mapped[SourceSystem] = mapped_column(str_enum(SourceSystem))
    remote_id: Mapped[str] = mapped_column(String(200))
    local_id: Mapped[str | None] = mapped_column(String(200), index=True)
    channel: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), index=True)
    source_status: Mapped[str | None] = mapped_column(String(64))
    shipping_status: Mapped[str | None] = mapped_column(String(64))
    payment_method: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total_excl_vat: Mapped[Decimal] = mapped_column(Money())
    total_vat: Mapped[Decimal] = mapped_column(Money())
    total_incl_vat: Mapped[Decimal] = mapped_column(Money())
    shipping_amount: Mapped[Decimal] = mapped_column(
        Money(), server_default="0", default=Decimal(0)
    )
    discount_amount: Mapped[Decimal] = mapped_column(
        Money(), server_default="0", default=Decimal(0)
    )
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), server_default="sv", default="sv")
    placed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    source_modified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    content_hash: Mapped[str | None] = mapped_column(String(64))
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )
    shipments: Mapped[list[Shipment]] = relationship(back_populates="order")
    payments: Mapped[list[Payment]] = relationship(back_populates="order")


class OrderLine(IdMixin, Base):
    """One row of an order. `unit_price_excl_vat` is the price actually paid (after discount)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("quantity_shipped >= 0", name="shipped_not_negative"),
    )

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    remote_line_id: Mapped[str | None] = mapped_column(String(200))
    variant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    quantity_shipped: Mapped[Decimal] = mapped_column(
        Quantity(), server_default="0", default=Decimal(0)
    )
    unit_price_excl_vat: Mapped[Decimal] = mapped_column(Money())
    discount_amount: Mapped[Decimal] = mapped_column(
        Money(), server_default="0", default=Decimal(0)
    )
    vat_rate: Mapped[Decimal] = mapped_column(VatRate())
    line_total_excl_vat: Mapped[Decimal] = mapped_column(Money())
    line_vat: Mapped[Decimal] = mapped_column(Money())

    order: Mapped[Order] = relationship(back_populates="lines")


#: The Orders page finds orders by the start of a SKU whatever its case; on PostgreSQL that is
#: an index range scan instead of reading every order line (text_pattern_ops serves LIKE
#: 'abc%' under any collation). Migration 0003.
Index(
    "ix_order_lines_sku_lower",
    func.lower(OrderLine.sku).label("sku_lower"),
    postgresql_ops={"sku_lower": "text_pattern_ops"},
)
