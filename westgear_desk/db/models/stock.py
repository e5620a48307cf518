"""Stock locations and the stock level of each variant at each location."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import SourceSystem
from westgear_desk.db.models.mixins import BigId, IdMixin, SyncedMixin, TimestampMixin
from westgear_desk.db.types import Quantity, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.catalog import Variant


class StockLocation(IdMixin, TimestampMixin, Base):
    """A warehouse or store that holds stock."""

    __tablename__ = "stock_locations"
    __table_args__ = (UniqueConstraint("source_system", "external_id"),)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(server_default=true(), default=True)
    source_system: Mapped[SourceSystem | None] = mapped_column(str_enum(SourceSystem))
    external_id: Mapped[str | None] = mapped_column(String(200))


class StockLevel(IdMixin, SyncedMixin, TimestampMixin, Base):
    """How many of a variant a location has, and how many are reserved for orders.

    Negative stock from a source is quarantined, never stored (the CHECK guards it).
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    variant_id: Mapped[int] = mapped_column(BigId, ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("stock_locations.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    reserved: Mapped[Decimal] = mapped_column(Quantity(), server_default="0", default=Decimal(0))

    variant: Mapped[Variant] = relationship(back_populates="stock_levels")
    location: Mapped[StockLocation] = relationship()
