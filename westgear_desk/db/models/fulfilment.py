"""Shipments booked with a carrier, their parcels (SSCC) and the printed labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import Carrier, LabelFormat, ShipmentStatus
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin, now_default
from westgear_desk.db.types import Money, UtcDateTime, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.orders import Order


class Shipment(IdMixin, TimestampMixin, Base):
    """One consignment of (part of) an order with one carrier and service."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("carrier", "tracking_number"),)

    order_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    carrier: Mapped[Carrier] = mapped_column(str_enum(Carrier))
    service: Mapped[str] = mapped_column(String(64))
    status: Mapped[ShipmentStatus] = mapped_column(
        str_enum(ShipmentStatus),
        server_default=ShipmentStatus.DRAFT.value,
        default=ShipmentStatus.DRAFT,
    )
    booking_reference: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    price: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    booked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_tracking_event: Mapped[str | None] = mapped_column(Text)
    last_tracked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)

    order: Mapped[Order] = relationship(back_populates="shipments")
    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="Parcel.id"
    )
    labels: Mapped[list[Label]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="Label.id"
    )


class Parcel(IdMixin, Base):
    """One physical package, identified worldwide by its SSCC."""

    __tablename__ = "parcels"

    shipment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    length_mm: Mapped[int | None] = mapped_column(Integer)
    width_mm: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = now_default()

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")


class Label(IdMixin, Base):
    """A freight label as the carrier returned it (PDF or ZPL bytes)."""

    __tablename__ = "labels"

    shipment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    parcel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("parcels.id", ondelete="SET NULL")
    )
    format: Mapped[LabelFormat] = mapped_column(str_enum(LabelFormat))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = now_default()
    printed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    shipment: Mapped[Shipment] = relationship(back_populates="labels")
