"""B2B quotes built from a B2B price list, and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import QuoteStatus
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin
from westgear_desk.db.types import Money, Percent, Quantity, UtcDateTime, VatRate, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.customers import Customer
    from westgear_desk.db.models.pricing import PriceList


class Quote(IdMixin, TimestampMixin, Base):
    """A quote to a business customer; `order_id` is set once it became an order."""

    __tablename__ = "quotes"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    price_list_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("price_lists.id", ondelete="SET NULL")
    )
    status: Mapped[QuoteStatus] = mapped_column(
        str_enum(QuoteStatus),
        server_default=QuoteStatus.DRAFT.value,
        default=QuoteStatus.DRAFT,
        index=True,
    )
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8), server_default="sv", default="sv")
    valid_until: Mapped[dt.date] = mapped_column(Date)
    total_excl_vat: Mapped[Decimal] = mapped_column(Money())
    total_vat: Mapped[Decimal] = mapped_column(Money())
    total_incl_vat: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="SET NULL"), unique=True
    )

    customer: Mapped[Customer] = relationship()
    price_list: Mapped[PriceList | None] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.line_no"
    )


class QuoteLine(IdMixin, Base):
    """One row of a quote, priced from the list with an optional discount."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        UniqueConstraint("quote_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100", name="discount_in_range"
        ),
    )

    quote_id: Mapped[int] = mapped_column(BigId, ForeignKey("quotes.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("variants.id", ondelete="SET NULL")
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    list_unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_percent: Mapped[Decimal] = mapped_column(
        Percent(), server_default="0", default=Decimal(0)
    )
    unit_price: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(VatRate())
    line_total_excl_vat: Mapped[Decimal] = mapped_column(Money())

    quote: Mapped[Quote] = relationship(back_populates="lines")
